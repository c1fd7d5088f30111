"""Text clean-up: trim, upper, lower, replace, substring, length."""

from __future__ import annotations

from typing import Any

from ferry.mapping.registry import Example, function
from ferry.mapping.values import ApplyError, expect_int, expect_text, kind


@function("trim", category="text", example=Example("trim(name)", "Lopez Auto Body", {"name": "  Lopez Auto Body "}))
def trim(text: Any) -> str | None:
    """Remove spaces, tabs and line breaks from both ends of `text`. Null stays null."""
    return None if text is None else expect_text(text, "trim").strip()


@function("upper", category="text", example=Example("upper(currency)", "EUR", {"currency": "eur"}))
def upper(text: Any) -> str | None:
    """`text` in capitals. Null stays null."""
    return None if text is None else expect_text(text, "upper").upper()


@function("lower", category="text", example=Example("lower(email)", "ann@example.com", {"email": "Ann@Example.COM"}))
def lower(text: Any) -> str | None:
    """`text` in small letters. Null stays null."""
    return None if text is None else expect_text(text, "lower").lower()


@function(
    "replace", category="text", example=Example("replace(phone, '.', '-')", "689-989-5489", {"phone": "689.989.5489"})
)
def replace(text: Any, old: Any, new: Any) -> str | None:
    """`text` with every occurrence of `old` replaced by `new`. Null stays null."""
    if text is None:
        return None
    return expect_text(text, "replace").replace(expect_text(old, "replace"), expect_text(new, "replace"))


@function(
    "substring", category="text", example=Example("substring(name, 0, 10)", "Vasquez Ma", {"name": "Vasquez Marine"})
)
def substring(text: Any, start: Any, length: Any = None) -> str | None:
    """The part of `text` from `start` (0 is the first character) of at most `length` characters
    (to the end without `length`). Use it to cut a value to a target field's maximum length. Null stays null."""
    if text is None:
        return None
    value, begin = expect_text(text, "substring"), expect_int(start, "substring")
    if begin < 0:
        raise ApplyError(f"substring() start must be 0 or more, got {begin}")
    if length is None:
        return value[begin:]
    count = expect_int(length, "substring")
    if count < 0:
        raise ApplyError(f"substring() length must be 0 or more, got {count}")
    return value[begin : begin + count]


@function("length", category="text", example=Example("length(name)", 5, {"name": "Acme "}))
def length(value: Any) -> int | None:
    """The number of characters of text, or of items in a list. Null stays null."""
    if value is None:
        return None
    if isinstance(value, str | list):
        return len(value)
    raise ApplyError(f"length() expects text or a list, got {kind(value)}")
