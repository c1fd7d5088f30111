"""Splitting text into a list."""

from __future__ import annotations

from typing import Any

from ferry.mapping.registry import Example, function
from ferry.mapping.values import ApplyError, expect_text


@function(
    "split",
    category="text",
    example=Example("split(fullname, ' ')[0]", "Janice", {"fullname": "Janice Clarke"}),
)
def split(text: Any, separator: Any = None) -> list[str] | None:
    """`text` cut at each `separator` into a list (at runs of whitespace, trimmed, without a separator).
    Take one part with `[n]` (0 is the first, -1 the last; past the end gives null). Null stays null."""
    if text is None:
        return None
    value = expect_text(text, "split")
    if separator is None:
        return value.split()
    sep = expect_text(separator, "split")
    if not sep:
        raise ApplyError("split() separator must not be empty")
    return value.split(sep)
