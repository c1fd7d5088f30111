"""What sample values look like: an email, a phone, a date, an ISO country code or name, an amount."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_PHONE = re.compile(r"^\+?[\d\s().\-/]{7,20}$")
_DATE = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$|^\d{1,2}[./]\d{1,2}[./]\d{4}$"
)
_AMOUNT = re.compile(r"^-?\d{1,15}[.,]\d{1,4}$")
_ISO2 = re.compile(r"^[A-Z]{2}$")
_ISO3 = re.compile(r"^[A-Z]{3}$")
_COUNTRY_NAMES = frozenset(
    [
        "united states",
        "united states of america",
        "usa",
        "united kingdom",
        "great britain",
        "canada",
        "australia",
        "germany",
        "france",
        "spain",
        "italy",
        "netherlands",
        "ireland",
        "mexico",
        "japan",
        "china",
        "india",
        "brazil",
        "sweden",
        "norway",
        "denmark",
        "switzerland",
        "austria",
        "belgium",
        "poland",
        "new zealand",
        "portugal",
        "finland",
    ]
)


def kind_of(value: Any) -> str | None:
    """The kind of one value, or None when it looks like nothing in particular."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (datetime, date)):
        return "date"
    if isinstance(value, (Decimal, float)):
        return "amount"
    if isinstance(value, int):
        return "integer"
    if not isinstance(value, str):
        return None
    text = value.strip()
    if _EMAIL.match(text):
        return "email"
    if _DATE.match(text):
        return "date"
    if _AMOUNT.match(text) and _is_number(text.replace(",", ".")):
        return "amount"
    if text.isdigit() and len(text) <= 6:
        return "integer"
    if _PHONE.match(text) and sum(ch.isdigit() for ch in text) >= 7:
        return "phone"
    if _ISO2.match(text):
        return "country_code"
    if _ISO3.match(text):
        return "currency_code"
    if text.lower() in _COUNTRY_NAMES:
        return "country_name"
    return "text"


def dominant_kind(values: Iterable[Any]) -> str | None:
    """The kind most samples have, when at least two thirds of the non-empty ones agree."""
    kinds = [kind for kind in map(kind_of, values) if kind is not None]
    if not kinds:
        return None
    kind, count = Counter(kinds).most_common(1)[0]
    return kind if count * 3 >= len(kinds) * 2 else None


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return True
