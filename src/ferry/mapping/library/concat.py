"""Joining text: concat, join and format."""

from __future__ import annotations

from typing import Any

from ferry.mapping.library.to_string import to_text
from ferry.mapping.registry import Example, function
from ferry.mapping.values import ApplyError, expect_text


@function(
    "concat",
    category="text",
    example=Example("concat(firstname, ' ', lastname)", "Janice Clarke", {"firstname": "Janice", "lastname": "Clarke"}),
)
def concat(*values: Any) -> str | None:
    """The values one after another as text (numbers and dates are written as `string()` writes them).
    A null counts as empty text; the result is null only when every value is null."""
    if all(v is None for v in values):
        return None
    return "".join("" if v is None else to_text(v, "concat") for v in values)


@function(
    "join",
    category="text",
    example=Example(
        "join(', ', address1_line2, address1_line3)",
        "Dock 3, Building B",
        {"address1_line2": "Dock 3", "address1_line3": "Building B"},
    ),
)
def join(separator: Any, *values: Any) -> str | None:
    """The values that are neither null nor blank, with `separator` between them; null when none is left.
    A single list argument joins its items."""
    sep = expect_text(separator, "join")
    items = values[0] if len(values) == 1 and isinstance(values[0], list) else values
    parts = [to_text(v, "join") for v in items if v is not None]
    kept = [p for p in parts if p.strip()]
    return sep.join(kept) if kept else None


@function(
    "format",
    category="text",
    example=Example(
        "format(\"/transactioncurrencies(isocurrencycode='{}')\", Currency)",
        "/transactioncurrencies(isocurrencycode='EUR')",
        {"Currency": "EUR"},
    ),
)
def format_(template: Any, *values: Any) -> str | None:
    """`template` with each `{}` replaced by the next value (`{{` and `}}` write braces). If any value is
    null the result is null, so an optional field stays null instead of producing a half-filled text."""
    text = expect_text(template, "format")
    if any(v is None for v in values):
        return None
    pieces, literal, i = [], [], 0
    while i < len(text):
        pair = text[i : i + 2]
        if pair in ("{{", "}}"):
            literal.append(pair[0])
            i += 2
        elif pair == "{}":
            pieces.append("".join(literal))
            literal = []
            i += 2
        elif text[i] in "{}":
            raise ApplyError(
                f"format() template has a lone {text[i]!r}; write {{}} for a value, {{{{ or }}}} for a brace"
            )
        else:
            literal.append(text[i])
            i += 1
    pieces.append("".join(literal))
    if len(pieces) - 1 != len(values):
        raise ApplyError(f"format() has {len(pieces) - 1} '{{}}' in its template but {len(values)} values")
    out = pieces[0]
    for value, piece in zip(values, pieces[1:], strict=True):
        out += to_text(value, "format") + piece
    return out
