"""Conversion to a whole number: integer."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from ferry.mapping.registry import Example, function
from ferry.mapping.values import ApplyError, as_decimal, kind, show

_INTEGER = re.compile(r"[+-]?\d+(?:\.0*)?")


@function("integer", category="conversion", example=Example("integer(quantity)", 12, {"quantity": "12"}))
def integer(value: Any) -> int | None:
    """`value` as a whole number: from a number without a fraction or from text such as `"12"` or `"12.00"`.
    A fraction (`12.5`), a boolean or other text fails the record. Null stays null."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ApplyError(f"integer() cannot convert the boolean {show(value)} to a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal | float):
        number = as_decimal(value)
        if number.is_finite() and number == number.to_integral_value():
            return int(number)
        raise ApplyError(f"integer() cannot convert {number} to a whole number without losing its fraction")
    if isinstance(value, str):
        text = value.strip()
        if _INTEGER.fullmatch(text):
            return int(Decimal(text))
        raise ApplyError(f"integer() cannot convert the text {show(value)} to a whole number")
    raise ApplyError(f"integer() cannot convert {kind(value)} to a whole number")
