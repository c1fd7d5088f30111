"""Postal addresses: parse_address (a composite text into parts) and format_address (parts into text).

The composite is Dynamics 365's `address1_composite`: the street lines, then "city, state postal", then
the country, one per line (CR LF). Reading it back is a matter of rules, written down here and in the
reference: the last line is the country when it names one; the line before it holds city, state and
postal code; the lines before that are the street.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ferry.mapping.library.country import code_of
from ferry.mapping.registry import Example, function
from ferry.mapping.values import ApplyError, expect_text, kind

PARTS = ("line1", "line2", "line3", "city", "state", "postal_code", "country")

_BREAK = re.compile(r"\r\n|\r|\n")
_POSTAL = re.compile(
    r"(?:^|\s)("
    r"[A-Za-z]{1,2}\d[A-Za-z\d]?\s\d[A-Za-z]{2}"  # United Kingdom: SW1A 1AA
    r"|[A-Za-z]\d[A-Za-z]\s\d[A-Za-z]\d"  # Canada: K1A 0B1
    r"|\d{4}\s[A-Za-z]{2}"  # Netherlands: 1234 AB
    r"|[A-Za-z0-9-]*\d[A-Za-z0-9-]*"  # one word with a digit: 34226, 2273, 12345-6789, K1H2G6
    r")$",
    re.ASCII,
)
_STATE_CODE = re.compile(r"[A-Z]{2,3}", re.ASCII)


def _split_locality(text: str) -> tuple[str | None, str | None, str | None]:
    """City, state and postal code from "city, state postal" (each part may be missing)."""
    city, comma, rest = text.partition(",")
    if not comma:
        city, rest = "", text
        match = _POSTAL.search(rest)
        if match is None:
            # A single word group: a state code ("WA") or a city ("Springfield").
            return (None, rest, None) if _STATE_CODE.fullmatch(rest) else (rest, None, None)
    match = _POSTAL.search(rest)
    state, postal = (rest[: match.start(1)], match.group(1)) if match else (rest, None)
    return city.strip() or None, state.strip() or None, postal


def _is_locality(line: str) -> bool:
    match = _POSTAL.search(line)
    return "," in line or (
        match is not None and len(match.group(1)) >= 3 and not any(c.isdigit() for c in line[: match.start(1)])
    )


def _is_country(line: str, before: str | None) -> bool:
    if code_of(line) is not None:
        return True
    # An unknown name after a locality line: no digits, no comma.
    return before is not None and _is_locality(before) and not any(c.isdigit() or c == "," for c in line)


@lru_cache(maxsize=4096)
def _parse(text: str) -> dict[str, str | None] | None:
    """The parts of `text` (cached: a template reads several parts of the same composite; copy before use)."""
    lines = [line.strip() for line in _BREAK.split(text) if line.strip()]
    if not lines:
        return None
    country = None
    if _is_country(lines[-1], lines[-2] if len(lines) > 1 else None):
        country = lines.pop()
    city = state = postal = None
    if len(lines) >= 2 or (lines and _is_locality(lines[0])):
        city, state, postal = _split_locality(lines.pop())
    street = lines[:2] + ([", ".join(lines[2:])] if len(lines) > 2 else [])
    street += [None] * (3 - len(street))
    return dict(zip(PARTS, (*street, city, state, postal, country), strict=True))


@function(
    "parse_address",
    category="addresses",
    example=Example(
        "parse_address(address1_composite).postal_code",
        "S0 3UN",
        {"address1_composite": "Studio 24, Brian Run\r\nLake Daniel, East Dunbartonshire S0 3UN\r\nUnited Kingdom"},
    ),
)
def parse_address(composite: Any) -> dict[str, str | None] | None:
    """The parts of a composite address (Dynamics 365's `address1_composite`): an object with `line1`,
    `line2`, `line3`, `city`, `state`, `postal_code` and `country` (the country as written, for
    `country_code`). Lines may be separated by CR LF, LF or CR. The last line is the country when it names
    one; the line before holds "city, state postal" (the postal code is the last word with a digit, or a
    two-word British or Canadian code); earlier lines are the street (a fourth or later street line is
    joined to `line3`). A lone line is the street unless it has a comma or ends in a postal code. Null or
    blank gives null."""
    if composite is None:
        return None
    parts = _parse(expect_text(composite, "parse_address"))
    return None if parts is None else parts.copy()


_ALIASES = {
    "line1": "line1",
    "street1": "line1",
    "line2": "line2",
    "street2": "line2",
    "line3": "line3",
    "street3": "line3",
    "city": "city",
    "town": "city",
    "state": "state",
    "stateorprovince": "state",
    "province": "state",
    "county": "state",
    "region": "state",
    "postalcode": "postal_code",
    "postcode": "postal_code",
    "zip": "postal_code",
    "zipcode": "postal_code",
    "country": "country",
}


def _normalise(address: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in address.items():
        name = re.sub(r"^address\d", "", str(key).lower().replace("_", ""))
        part = _ALIASES.get(name)
        if part is not None:
            out[part] = value
    return out


@function(
    "format_address",
    category="addresses",
    example=Example(
        "format_address(BillingAddress, ', ')",
        "87, boulevard Alain Letellier, Dock 3, Tessierboeuf, 28136, FR",
        {
            "BillingAddress": {
                "Line1": "87, boulevard Alain Letellier",
                "Line2": "Dock 3",
                "City": "Tessierboeuf",
                "State": None,
                "PostalCode": "28136",
                "Country": "FR",
            }
        },
    ),
)
def format_address(address: Any, separator: Any = "\r\n") -> str | None:
    """An address object as one text, the way Dynamics 365 builds `address1_composite`: the street lines,
    "city, state postal", then the country, joined by `separator` (CR LF unless given), leaving out
    empty parts. Keys are matched loosely: `Line1`, `line1`, `address1_line1`; `State`, `stateorprovince`;
    `PostalCode`, `postal_code`, `zip`; so a TIMS address and the result of `parse_address` both work.
    `format_address(parse_address(text))` gives back `text` (with CR LF). Null gives null."""
    if address is None:
        return None
    if not isinstance(address, dict):
        raise ApplyError(f"format_address() expects an address object, got {kind(address)}")
    sep = expect_text(separator, "format_address")
    parts = _normalise(address)

    def text(name: str) -> str | None:
        value = parts.get(name)
        if value is None:
            return None
        return expect_text(value, "format_address").strip() or None

    state_postal = " ".join(p for p in (text("state"), text("postal_code")) if p)
    locality = ", ".join(p for p in (text("city"), state_postal) if p)
    lines = [text("line1"), text("line2"), text("line3"), locality, text("country")]
    kept = [line for line in lines if line]
    return sep.join(kept) if kept else None
