"""Conversion to true or false: boolean."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ferry.mapping.registry import Example, function
from ferry.mapping.values import ApplyError, kind, show

_TRUE = frozenset({"true", "yes", "y", "1", "on"})
_FALSE = frozenset({"false", "no", "n", "0", "off"})


@function("boolean", category="conversion", example=Example("boolean(creditonhold)", True, {"creditonhold": "Yes"}))
def boolean(value: Any) -> bool | None:
    """`value` as true or false: from a boolean, the numbers 1 and 0, or the text true/false, yes/no, y/n,
    on/off, 1/0 (any case). Anything else fails the record. Null stays null."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | Decimal) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise ApplyError(f"boolean() cannot convert {kind(value)} {show(value)} to true or false")
