"""Conversion to dates and date-times: date and datetime."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ferry.mapping.registry import Example, function
from ferry.mapping.values import ApplyError, expect_text, kind, show


def _parse_datetime(text: str, pattern: Any, function_name: str) -> dt.datetime:
    try:
        if pattern is not None:
            return dt.datetime.strptime(text, expect_text(pattern, function_name))
        return dt.datetime.fromisoformat(text.strip())
    except ValueError:
        shape = f"the pattern {pattern!r}" if pattern is not None else "ISO 8601 (2026-11-22T08:15:30Z)"
        raise ApplyError(f"{function_name}() cannot read {show(text)} as {shape}") from None


@function(
    "date",
    category="conversion",
    example=Example("date(OrderDate, '%d/%m/%Y')", dt.date(2026, 11, 22), {"OrderDate": "22/11/2026"}),
)
def date(value: Any, pattern: Any = None) -> dt.date | None:
    """`value` as a calendar date: from ISO 8601 text (`2026-11-22`, or a date-time whose date part is
    taken), from text in a `strptime` pattern such as `'%d/%m/%Y'`, or from a date-time. Null stays null."""
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        return _parse_datetime(value, pattern, "date").date()
    raise ApplyError(f"date() cannot convert {kind(value)} to a date")


@function(
    "datetime",
    category="conversion",
    example=Example(
        "datetime(modifiedon)",
        dt.datetime(2026, 4, 15, 8, 13, 54, tzinfo=dt.UTC),
        {"modifiedon": "2026-04-15T08:13:54Z"},
    ),
)
def datetime(value: Any, pattern: Any = None) -> dt.datetime | None:
    """`value` as a date-time with a time zone: from ISO 8601 text (`2026-11-22T08:15:30Z`, `...+01:00`),
    from text in a `strptime` pattern, or from a date (midnight). Without a zone, UTC is assumed.
    Null stays null."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        result = value
    elif isinstance(value, dt.date):
        result = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        result = _parse_datetime(value, pattern, "datetime")
    else:
        raise ApplyError(f"datetime() cannot convert {kind(value)} to a date-time")
    return result if result.tzinfo is not None else result.replace(tzinfo=dt.UTC)
