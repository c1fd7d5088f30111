"""Conversion to an exact decimal number: decimal."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from ferry.mapping.registry import Example, function
from ferry.mapping.values import ApplyError, as_decimal, kind, show

_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


@function(
    "decimal",
    category="conversion",
    example=Example("decimal(CreditLimit)", Decimal("25000.00"), {"CreditLimit": "25000.00"}),
)
def decimal(value: Any) -> Decimal | None:
    """`value` as an exact decimal number (never a binary float): from a number or from text such as
    `"1250.00"` (a leading `+`/`-` is allowed; grouping separators, exponents and other text fail the record).
    Null stays null."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ApplyError(f"decimal() cannot convert the boolean {show(value)} to a number")
    if isinstance(value, int | Decimal | float):
        number = as_decimal(value)
        if not number.is_finite():
            raise ApplyError(f"decimal() cannot convert {number} to a number")
        return number
    if isinstance(value, str):
        text = value.strip()
        if _DECIMAL.fullmatch(text):
            return Decimal(text)
        raise ApplyError(f"decimal() cannot convert the text {show(value)} to a number")
    raise ApplyError(f"decimal() cannot convert {kind(value)} to a number")
