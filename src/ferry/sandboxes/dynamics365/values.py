"""Column values between JSON and the store, and their display forms (FormattedValue annotations)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ferry.sandboxes.dynamics365.errors import LENGTH_VALIDATION, OPTION_OUT_OF_RANGE, bad_request, payload_error
from ferry.sandboxes.dynamics365.schema import CHOICE_KINDS, Column, Kind, Table
from ferry.sandboxes.dynamics365.store import Ref

_FOUR_PLACES = Decimal("0.0001")
_SYMBOLS = {"USD": "$", "CAD": "CA$", "AUD": "A$", "GBP": "£", "EUR": "€"}


def parse_guid(text: str) -> str | None:
    try:
        return str(uuid.UUID(text))
    except (ValueError, AttributeError, TypeError):
        return None


def from_json(table: Table, column: Column, value: Any) -> Any:
    """A JSON value for `column`, checked and converted to what the store holds."""
    if value is None:
        return None
    kind = column.kind

    def fail() -> Exception:
        literal = value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else value
        return payload_error(table, f"Cannot convert the literal '{literal}' to the expected type '{kind.edm}'.")

    if kind in (Kind.STRING, Kind.MEMO):
        if not isinstance(value, str):
            raise fail()
        if column.max_length is not None and len(value) > column.max_length:
            raise bad_request(
                f"A validation error occurred.  The length of the '{column.name}' attribute of the "
                f"'{table.logical_name}' entity exceeded the maximum allowed length of '{column.max_length}'.",
                LENGTH_VALIDATION,
            )
        return value
    if kind is Kind.BOOL:
        if not isinstance(value, bool):
            raise fail()
        return value
    if kind in (Kind.INT, Kind.BIGINT) or kind in CHOICE_KINDS:
        if isinstance(value, bool) or not isinstance(value, int | Decimal) or int(value) != value:
            raise fail()
        number = int(value)
        if kind in CHOICE_KINDS and column.options and number not in column.option_values():
            raise bad_request(
                f"A validation error occurred. The value {number} of '{column.name}' on record of type "
                f"'{table.logical_name}' is outside the valid range.",
                OPTION_OUT_OF_RANGE,
            )
        return number
    if kind in (Kind.DECIMAL, Kind.MONEY, Kind.DOUBLE):
        if isinstance(value, bool):
            raise fail()
        if isinstance(value, str) or not isinstance(value, int | Decimal):
            raise fail()
        try:
            exact = Decimal(value)
        except InvalidOperation:  # pragma: no cover - ints and Decimals always convert
            raise fail() from None
        if not exact.is_finite():
            raise fail()
        return exact.quantize(Decimal(1).scaleb(-column.precision)) if kind is not Kind.DOUBLE else exact
    if kind is Kind.GUID:
        guid = parse_guid(value) if isinstance(value, str) else None
        if guid is None:
            raise fail()
        return guid
    if kind is Kind.DATETIME:
        parsed = _datetime(value)
        if parsed is None:
            raise fail()
        return parsed
    if kind is Kind.DATE:
        try:
            return date.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            raise fail() from None
    raise fail()


def _datetime(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    # Dataverse stores UTC; a value without an offset is read as UTC.
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC).replace(microsecond=0)


def to_json(column: Column, value: Any) -> Any:
    """The stored value as Dataverse writes it in JSON."""
    if value is None:
        return None
    if isinstance(value, Ref):
        return value.id
    if column.kind is Kind.MONEY:
        return value.quantize(_FOUR_PLACES)
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def formatted(column: Column, value: Any, currency: str | None = None) -> str | None:
    """The display text Dataverse puts in `@OData.Community.Display.V1.FormattedValue`."""
    if value is None:
        return None
    if column.kind in CHOICE_KINDS:
        return next((o.label for o in column.options if o.value == value), None)
    if column.kind is Kind.BOOL:
        return "Yes" if value else "No"
    if column.kind is Kind.MONEY:
        return f"{_SYMBOLS.get(currency or 'USD', '$')}{value:,.2f}"
    if column.kind in (Kind.DECIMAL, Kind.DOUBLE):
        return f"{value:,.2f}"
    if column.kind in (Kind.INT, Kind.BIGINT):
        return f"{value:,}"
    if column.kind is Kind.DATETIME:
        return f"{value.month}/{value.day}/{value.year} {value.strftime('%I:%M %p').lstrip('0')}"
    if column.kind is Kind.DATE:
        return f"{value.month}/{value.day}/{value.year}"
    return None
