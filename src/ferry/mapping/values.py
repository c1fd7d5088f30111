"""The value model every function and operator shares: which values exist, truth, and failures.

Values are what JSON holds plus exact numbers and dates: null (None), booleans, integers, Decimals
(never floats), text, lists, objects (dicts), `datetime.date` and `datetime.datetime`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any


class ApplyError(Exception):
    """A record's value cannot be mapped; the mapping names the target field and dead-letters the record."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def truthy(value: Any) -> bool:
    """Whether a condition holds: null, false, empty text, an empty list or object are false; all else true."""
    if value is None or value is False:
        return False
    if isinstance(value, str | list | dict):
        return len(value) > 0
    return True


def is_number(value: Any) -> bool:
    """An integer or a Decimal (booleans are not numbers here, though Python says they are)."""
    return isinstance(value, int | Decimal | float) and not isinstance(value, bool)


def as_decimal(value: int | Decimal | float) -> Decimal:
    """A number as a Decimal; a float (from a caller that parsed JSON loosely) goes through its shortest text."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def kind(value: Any) -> str:
    """The name of a value's kind, for messages: "text", "number", "boolean", "null", ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "text"
    if is_number(value):
        return "number"
    if isinstance(value, dt.datetime):
        return "datetime"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def show(value: Any, limit: int = 40) -> str:
    """A short quoted rendering of a value for messages."""
    text = repr(value) if isinstance(value, str) else str(value) if not isinstance(value, dict | list) else kind(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def expect_text(value: Any, function: str) -> str:
    """`value` as text, or an ApplyError naming `function`."""
    if isinstance(value, str):
        return value
    raise ApplyError(f"{function}() expects text, got {kind(value)} {show(value)}")


def expect_int(value: Any, function: str) -> int:
    """`value` as an integer, or an ApplyError naming `function`."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    raise ApplyError(f"{function}() expects a whole number, got {kind(value)} {show(value)}")
