"""The operators: arithmetic on exact numbers, comparisons, and what equality means.

`and`, `or`, `not`, `if` and `case` are evaluated lazily by the compiler and use `values.truthy`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import DivisionByZero, InvalidOperation
from typing import Any

from ferry.mapping.values import ApplyError, as_decimal, is_number, kind, show


def equals(left: Any, right: Any) -> bool:
    """`==`: same value; 1 equals 1.00, but a boolean never equals a number and text never equals a number."""
    if isinstance(left, bool) != isinstance(right, bool):
        return False
    if is_number(left) and is_number(right):
        return as_decimal(left) == as_decimal(right)
    if type(left) is not type(right) and not (isinstance(left, str) and isinstance(right, str)):
        return left is None and right is None
    return bool(left == right)


def _numbers(op: str, left: Any, right: Any) -> tuple[Any, Any]:
    if is_number(left) and is_number(right):
        if isinstance(left, float) or isinstance(right, float):
            return as_decimal(left), as_decimal(right)
        return left, right
    hint = " (use concat() to join text)" if op == "+" and isinstance(left, str) else ""
    raise ApplyError(f"cannot compute {kind(left)} {show(left)} {op} {kind(right)} {show(right)}{hint}")


def add(left: Any, right: Any) -> Any:
    if left is None or right is None:
        return None
    a, b = _numbers("+", left, right)
    return a + b


def subtract(left: Any, right: Any) -> Any:
    if left is None or right is None:
        return None
    a, b = _numbers("-", left, right)
    return a - b


def multiply(left: Any, right: Any) -> Any:
    if left is None or right is None:
        return None
    a, b = _numbers("*", left, right)
    return a * b


def divide(left: Any, right: Any) -> Any:
    """`/` always gives a Decimal (7 / 2 is 3.5), and dividing by zero fails the record."""
    if left is None or right is None:
        return None
    a, b = _numbers("/", left, right)
    try:
        return as_decimal(a) / as_decimal(b)
    except (DivisionByZero, InvalidOperation):
        raise ApplyError(f"cannot divide {show(a)} by zero") from None


def negate(value: Any) -> Any:
    if value is None:
        return None
    if not is_number(value):
        raise ApplyError(f"cannot negate {kind(value)} {show(value)}")
    return -as_decimal(value) if isinstance(value, float) else -value


def _ordered(op: str, left: Any, right: Any) -> tuple[Any, Any] | None:
    """Both sides if they can be ordered against each other; None when either is null."""
    if left is None or right is None:
        return None
    if is_number(left) and is_number(right):
        return as_decimal(left), as_decimal(right)
    if isinstance(left, str) and isinstance(right, str):
        return left, right
    same_dates = isinstance(left, dt.datetime) == isinstance(right, dt.datetime)
    if isinstance(left, dt.date) and isinstance(right, dt.date) and same_dates:
        return left, right
    raise ApplyError(f"cannot compare {kind(left)} {show(left)} {op} {kind(right)} {show(right)}")


def less(left: Any, right: Any) -> bool | None:
    pair = _ordered("<", left, right)
    return None if pair is None else bool(pair[0] < pair[1])


def less_equal(left: Any, right: Any) -> bool | None:
    pair = _ordered("<=", left, right)
    return None if pair is None else bool(pair[0] <= pair[1])


def greater(left: Any, right: Any) -> bool | None:
    pair = _ordered(">", left, right)
    return None if pair is None else bool(pair[0] > pair[1])


def greater_equal(left: Any, right: Any) -> bool | None:
    pair = _ordered(">=", left, right)
    return None if pair is None else bool(pair[0] >= pair[1])


BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": add,
    "-": subtract,
    "*": multiply,
    "/": divide,
    "==": equals,
    "!=": lambda left, right: not equals(left, right),
    "<": less,
    "<=": less_equal,
    ">": greater,
    ">=": greater_equal,
}

#: For the reference: each operator, what it does, an example.
OPERATORS: tuple[tuple[str, str, str], ...] = (
    ("a + b, a - b, a * b", "exact decimal arithmetic; null if either side is null", "creditlimit * 2"),
    ("a / b", "division, always a decimal; dividing by zero fails the record", "revenue / 12"),
    ("-a", "negation", "-balance"),
    ("a == b, a != b", "equality; 1 == 1.00, but text never equals a number; null == null", "paymenttermscode == 1"),
    (
        "a < b, a <= b, a > b, a >= b",
        "order of numbers, texts or dates; null if either side is null",
        "creditlimit >= 10000",
    ),
    (
        "a and b, a or b, not a",
        "logic on truth values (see *Truth*); both sides are evaluated only when needed",
        "a != null and b != null",
    ),
    ("if c then a else b", "a when c is true, else b (null without else)", "if creditonhold then 'HOLD' else 'OK'"),
    (
        "case x when v then a ... else b end",
        "a for the first v equal to x, else b (null without else)",
        "case statecode when 0 then 'Active' else 'Inactive' end",
    ),
    (
        "case when c then a ... else b end",
        "a for the first true c, else b",
        "case when creditlimit > 100000 then 'A' else 'B' end",
    ),
    (
        "x.name, x[i]",
        "a field of an object; an item of a list (0 first, -1 last) or a key; null when absent",
        "split(name, ' ')[0]",
    ),
)
