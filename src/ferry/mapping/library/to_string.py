"""Conversion to text: string."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ferry.mapping.registry import Example, function
from ferry.mapping.values import ApplyError, as_decimal, kind


def to_text(value: Any, function_name: str = "string") -> str:
    """A non-null value as text: numbers without exponent, booleans as true/false, dates in ISO 8601."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal | float):
        return format(as_decimal(value), "f")
    if isinstance(value, dt.datetime):
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if isinstance(value, dt.date):
        return value.isoformat()
    raise ApplyError(f"{function_name}() cannot write {kind(value)} as text")


@function(
    "string",
    category="conversion",
    example=Example("string(creditlimit)", "25000.0000", {"creditlimit": Decimal("25000.0000")}),
)
def string(value: Any) -> str | None:
    """`value` as text: numbers keep their digits (`25000.0000`, never `2.5E+4`), booleans are `true`/`false`,
    dates `2026-11-22`, date-times `2026-11-22T08:15:30Z`. Lists and objects cannot be converted. Null stays null."""
    return None if value is None else to_text(value)
