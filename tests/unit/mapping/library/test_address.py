"""Composite addresses: every sandbox address, the corner cases, and round trips as properties."""

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ferry.mapping.library.address import PARTS, format_address, parse_address
from ferry.mapping.library.country import country_name
from tests.unit.mapping.helpers import evaluate, failure

DATA = json.loads((Path(__file__).parents[1] / "data" / "addresses.json").read_text(encoding="utf-8"))


def parts(*values: str | None) -> dict[str, str | None]:
    return dict(zip(PARTS, values, strict=True))


@pytest.mark.parametrize("row", DATA["dataverse"], ids=lambda row: row[-1].split("\r\n")[-1])
def test_every_dataverse_composite_parses_into_its_columns(row: list[str | None]) -> None:
    *columns, composite = row
    assert parse_address(composite) == parts(*columns)


@pytest.mark.parametrize("row", DATA["dataverse"], ids=lambda row: row[-1].split("\r\n")[-1])
def test_every_dataverse_address_formats_into_its_composite(row: list[str | None]) -> None:
    *columns, composite = row
    keys = ["line1", "line2", "line3", "city", "stateorprovince", "postalcode", "country"]
    assert format_address({f"address1_{k}": v for k, v in zip(keys, columns, strict=True)}) == composite


@pytest.mark.parametrize("row", DATA["tims"], ids=lambda row: str(row[-1]))
def test_every_tims_address_survives_format_then_parse(row: list[str | None]) -> None:
    address = dict(zip(DATA["tims_columns"], row, strict=True))
    address["Country"] = country_name(address["Country"])
    parsed = parse_address(format_address(address))
    assert parsed is not None
    assert [parsed[k] for k in ("line1", "line2", "city", "state", "postal_code", "country")] == [
        address[k] for k in ("Line1", "Line2", "City", "State", "PostalCode", "Country")
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "North Robert, OR 34226\r\nUnited States",
            parts(None, None, None, "North Robert", "OR", "34226", "United States"),
        ),
        ("OR 34226\nUnited States", parts(None, None, None, None, "OR", "34226", "United States")),
        ("1 Main St\nUnited States", parts("1 Main St", None, None, None, None, None, "United States")),
        ("United States", parts(None, None, None, None, None, None, "United States")),
        ("North Pamelaville, WA\r\nAustralia", parts(None, None, None, "North Pamelaville", "WA", None, "Australia")),
        ("a\nb\nc\nd\nLeeds, LS1 1AA\nUK", parts("a", "b", "c, d", "Leeds", None, "LS1 1AA", "UK")),
        (
            "1 Main St\rSpringfield, IL 62701-1234",
            parts("1 Main St", None, None, "Springfield", "IL", "62701-1234", None),
        ),
        ("1 Rue X\nParis, 75001\nAtlantis", parts("1 Rue X", None, None, "Paris", None, "75001", "Atlantis")),
        (
            "Kerkstraat 1\nAmsterdam, 1017 GA\nNetherlands",
            parts("Kerkstraat 1", None, None, "Amsterdam", None, "1017 GA", "Netherlands"),
        ),
    ],
)
def test_corner_cases(text: str, expected: dict[str, str | None]) -> None:
    assert parse_address(text) == expected


@pytest.mark.parametrize("text", [None, "", " \r\n "])
def test_nothing_parses_to_null(text: str | None) -> None:
    assert parse_address(text) is None


def test_parse_address_refuses_a_number() -> None:
    assert failure("parse_address(a)", {"a": 5}) == "parse_address() expects text, got number 5"


def test_a_parsed_address_is_a_fresh_object_each_time() -> None:
    first = parse_address("1 Main St\nLeeds, LS1 1AA")
    assert first is not None
    first["city"] = "changed"
    assert parse_address("1 Main St\nLeeds, LS1 1AA") == parts("1 Main St", None, None, "Leeds", None, "LS1 1AA", None)


def test_format_address_takes_tims_keys_and_a_separator() -> None:
    record = {
        "a": {"Line1": "87, boulevard Alain Letellier", "City": "Tessierboeuf", "PostalCode": "28136", "Country": "FR"}
    }
    assert evaluate("format_address(a, ' | ')", record) == "87, boulevard Alain Letellier | Tessierboeuf, 28136 | FR"


def test_format_address_of_an_empty_address_is_null() -> None:
    assert evaluate("format_address(a)", {"a": {"Line1": None, "City": " "}}) is None


def test_format_address_needs_an_object() -> None:
    assert failure("format_address(a)", {"a": "1 Main St"}) == "format_address() expects an address object, got text"


# -- round trips as properties ---------------------------------------------------------------------

_WORD = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyzÄÉßABCDEFGH'-"), min_size=1, max_size=10)
_WORDS = st.lists(_WORD, min_size=1, max_size=4).map(" ".join)
_STREET = st.builds(lambda n, w: f"{n} {w}", st.integers(1, 99999), _WORDS)
_POSTAL = {
    "United States": st.from_regex(r"[0-9]{5}(-[0-9]{4})?", fullmatch=True),
    "Canada": st.from_regex(r"[A-Z][0-9][A-Z] ?[0-9][A-Z][0-9]", fullmatch=True),
    "United Kingdom": st.from_regex(r"[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}", fullmatch=True),
    "Germany": st.from_regex(r"[0-9]{5}", fullmatch=True),
    "France": st.from_regex(r"[0-9]{5}", fullmatch=True),
    "Australia": st.from_regex(r"[0-9]{4}", fullmatch=True),
}


@st.composite
def addresses(draw: Any) -> dict[str, str | None]:
    """Addresses the documented rules read back unambiguously: with a country (a last line without one
    could itself be a country's name or code), a city that is not a 2-3 letter capital code (read as a
    state), and, when there is no street line, a state or postal code (a lone city reads as a street)."""
    country = draw(st.sampled_from(sorted(_POSTAL)))
    city = draw(_WORDS.filter(lambda w: not re.fullmatch(r"[A-Z]{2,3}", w)))
    lines: list[str | None] = list(draw(st.lists(_STREET | _WORDS, max_size=3)))
    state = draw(st.none() | _WORDS)
    postal = draw(st.none() | _POSTAL[country])
    if not lines and state is None and postal is None:
        state = draw(_WORDS)
    lines += [None] * (3 - len(lines))
    return parts(*lines, city, state, postal, country)


@given(addresses())
def test_parse_of_format_gives_the_parts_back(address: dict[str, str | None]) -> None:
    assert parse_address(format_address(address)) == address


@given(addresses(), st.sampled_from(["\r\n", "\n"]))
def test_format_of_parse_gives_the_text_back(address: dict[str, str | None], separator: str) -> None:
    text = format_address(address, separator)
    assert text is not None
    assert format_address(parse_address(text), separator) == text
