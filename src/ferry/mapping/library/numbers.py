"""Numbers: round and abs (the operators + - * / are in `ferry.mapping.operators`)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ferry.mapping.registry import Example, function
from ferry.mapping.values import ApplyError, as_decimal, expect_int, is_number, kind


def _number(value: Any, function_name: str) -> Decimal:
    if not is_number(value):
        raise ApplyError(f"{function_name}() expects a number, got {kind(value)}")
    return as_decimal(value)


@function(
    "round",
    category="numbers",
    example=Example("round(creditlimit, 2)", Decimal("100000.00"), {"creditlimit": Decimal("100000.0000")}),
)
def round_(number: Any, places: Any = 0) -> Decimal | None:
    """`number` rounded to `places` decimal places, halves away from zero (2.345 → 2.35), as money is
    rounded; the result always has exactly `places` places. Null stays null."""
    if number is None:
        return None
    digits = expect_int(places, "round")
    if not 0 <= digits <= 12:
        raise ApplyError(f"round() places must be between 0 and 12, got {digits}")
    value = _number(number, "round")
    try:
        return value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise ApplyError(f"round() cannot round {value} to {digits} places") from None


@function("abs", category="numbers", example=Example("abs(balance)", Decimal("12.50"), {"balance": Decimal("-12.50")}))
def abs_(number: Any) -> Any:
    """`number` without its sign. Null stays null."""
    if number is None:
        return None
    if isinstance(number, int) and not isinstance(number, bool):
        return abs(number)
    return abs(_number(number, "abs"))
