"""Field kinds: how a value is checked on the way in, written on the way out, and matched in filters.

Records are held with Python values (`Decimal`, `date`, aware `datetime`); a kind converts between
those and JSON. Money never passes through `float`: the toolkit parses JSON numbers as `Decimal`,
and a kind accepts either that or a decimal string.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ferry.sandboxes.tims.problems import FieldProblem

_DECIMAL = re.compile(r"^-?\d{1,15}(\.\d{1,10})?$")
_INTEGER = re.compile(r"^-?\d{1,15}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONEY_LIMIT = Decimal(10) ** 13


class FieldErrors(Exception):
    """One or more fields are wrong; the HTTP layer turns these into a 400 problem."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems


def _fail(path: str, message: str) -> FieldErrors:
    return FieldErrors([FieldProblem(path, message)])


class Kind:
    """A value type; subclasses override `parse` and, where JSON differs from Python, `render`."""

    label = "a value"
    scalar = True

    def parse(self, value: object, path: str) -> Any:
        raise NotImplementedError

    def render(self, value: Any) -> Any:
        return value

    def parse_query(self, text: str, path: str) -> Any:
        """A filter value from the query string (always text)."""
        return self.parse(text, path)


class Text(Kind):
    label = "a string"

    def __init__(
        self, max_length: int = 200, *, min_length: int = 0, pattern: str | None = None, choices: tuple[str, ...] = ()
    ) -> None:
        self.max_length = max_length
        self.min_length = min_length
        self.pattern = re.compile(pattern) if pattern else None
        self.choices = choices

    def parse(self, value: object, path: str) -> str:
        if not isinstance(value, str):
            raise _fail(path, f"must be {self.label}")
        if self.choices and value not in self.choices:
            raise _fail(path, f"must be one of: {', '.join(self.choices)}")
        if len(value) < self.min_length:
            raise _fail(path, "must not be empty")
        if len(value) > self.max_length:
            raise _fail(path, f"must be at most {self.max_length} characters")
        if self.pattern and not self.pattern.fullmatch(value):
            raise _fail(path, f"does not have the expected format ({self.pattern.pattern})")
        return value


class Integer(Kind):
    label = "an integer"

    def __init__(self, minimum: int | None = None, *, nonzero: bool = False) -> None:
        self.minimum = minimum
        self.nonzero = nonzero

    def parse(self, value: object, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(path, f"must be {self.label}")
        if abs(value) >= 10**15:
            raise _fail(path, "is too large")
        if self.minimum is not None and value < self.minimum:
            raise _fail(path, f"must be at least {self.minimum}")
        if self.nonzero and value == 0:
            raise _fail(path, "must not be 0")
        return value

    def parse_query(self, text: str, path: str) -> int:
        if not _INTEGER.fullmatch(text):
            raise _fail(path, f"must be {self.label}")
        return int(text)


class Money(Kind):
    """A decimal amount: `"1250.00"` (a JSON number is accepted too, and kept exact)."""

    label = 'a decimal string such as "1250.00"'

    def __init__(self, places: int = 2, *, minimum: Decimal | None = Decimal(0), positive: bool = False) -> None:
        self.places = places
        self.minimum = minimum
        self.positive = positive

    def parse(self, value: object, path: str) -> Decimal:
        if isinstance(value, bool):
            raise _fail(path, f"must be {self.label}")
        if isinstance(value, str):
            if not _DECIMAL.fullmatch(value):
                raise _fail(path, f"must be {self.label}")
            amount = Decimal(value)
        elif isinstance(value, int | Decimal):
            amount = Decimal(value)
        else:
            raise _fail(path, f"must be {self.label}")
        if not amount.is_finite() or abs(amount) >= _MONEY_LIMIT:
            raise _fail(path, "is out of range")
        exponent = amount.as_tuple().exponent
        assert isinstance(exponent, int)  # finite, checked above
        if -exponent > self.places:
            raise _fail(path, f"must have at most {self.places} decimal places")
        if self.minimum is not None and amount < self.minimum:
            raise _fail(path, f"must be at least {self.minimum}")
        if self.positive and amount <= 0:
            raise _fail(path, "must be greater than 0")
        return cents(amount) if -exponent <= 2 else amount

    def render(self, value: Any) -> str:
        return format(value, "f")


class Day(Kind):
    label = "a date (YYYY-MM-DD)"

    def parse(self, value: object, path: str) -> date:
        if not isinstance(value, str) or not _DATE.fullmatch(value):
            raise _fail(path, f"must be {self.label}")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise _fail(path, f"must be {self.label}") from None

    def render(self, value: Any) -> str:
        return str(value.isoformat())


class Timestamp(Kind):
    label = "an ISO 8601 date-time such as 2026-11-22T08:15:30Z"

    def parse(self, value: object, path: str) -> datetime:
        parsed = parse_timestamp(value)
        if parsed is None:
            raise _fail(path, f"must be {self.label}")
        return parsed

    def render(self, value: Any) -> str:
        return render_timestamp(value)


class Flag(Kind):
    label = "true or false"

    def parse(self, value: object, path: str) -> bool:
        if not isinstance(value, bool):
            raise _fail(path, f"must be {self.label}")
        return value

    def parse_query(self, text: str, path: str) -> bool:
        if text not in ("true", "false"):
            raise _fail(path, f"must be {self.label}")
        return text == "true"


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a record or of a nested object."""

    kind: Kind
    required: bool = False
    nullable: bool = True
    #: Used when the field is absent on create or full replace.
    default: Any = None
    #: Assigned or computed by the sandbox; accepted on input and ignored, so GET-modify-PUT works.
    readonly: bool = False


Fields = Mapping[str, Field]


class Nested(Kind):
    """A JSON object with its own fields (an address, an order line)."""

    scalar = False
    label = "an object"

    def __init__(self, fields: Fields) -> None:
        self.fields = fields

    def parse(self, value: object, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise _fail(path, f"must be {self.label}")
        return parse_fields(self.fields, value, partial=False, prefix=f"{path}.")

    def render(self, value: Any) -> dict[str, Any]:
        return render_fields(self.fields, value)


class ListOf(Kind):
    """A JSON array of objects; PATCH replaces the whole array."""

    scalar = False
    label = "an array"

    def __init__(self, item: Nested, *, min_items: int = 0, max_items: int = 500) -> None:
        self.item = item
        self.min_items = min_items
        self.max_items = max_items

    def parse(self, value: object, path: str) -> list[dict[str, Any]]:
        if not isinstance(value, list):
            raise _fail(path, f"must be {self.label}")
        if len(value) < self.min_items:
            raise _fail(path, f"must have at least {self.min_items} item{'s' if self.min_items > 1 else ''}")
        if len(value) > self.max_items:
            raise _fail(path, f"must have at most {self.max_items} items")
        problems: list[FieldProblem] = []
        items: list[dict[str, Any]] = []
        for n, element in enumerate(value):
            try:
                items.append(self.item.parse(element, f"{path}[{n}]"))
            except FieldErrors as exc:
                problems.extend(exc.problems)
        if problems:
            raise FieldErrors(problems)
        return items

    def render(self, value: Any) -> list[dict[str, Any]]:
        return [self.item.render(element) for element in value]


def parse_fields(fields: Fields, body: Mapping[str, object], *, partial: bool, prefix: str = "") -> dict[str, Any]:
    """Check `body` against `fields`; collect every problem before raising.

    `partial` (PATCH) takes only the fields present; otherwise absent fields get their defaults and
    absent required fields are errors.
    """
    problems = [FieldProblem(f"{prefix}{name}", "is not a known field") for name in body if name not in fields]
    values: dict[str, Any] = {}
    for name, spec in fields.items():
        path = f"{prefix}{name}"
        if spec.readonly:
            continue
        if name not in body:
            if partial:
                continue
            if spec.required:
                problems.append(FieldProblem(path, "is required"))
            else:
                values[name] = copy.deepcopy(spec.default)
            continue
        raw = body[name]
        if raw is None:
            if spec.required or not spec.nullable:
                problems.append(FieldProblem(path, "must not be null"))
            else:
                values[name] = None
            continue
        try:
            values[name] = spec.kind.parse(raw, path)
        except FieldErrors as exc:
            problems.extend(exc.problems)
    if problems:
        raise FieldErrors(problems)
    return values


def render_fields(fields: Fields, record: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, spec in fields.items():
        value = record.get(name)
        out[name] = None if value is None else spec.kind.render(value)
    return out


def cents(amount: Decimal) -> Decimal:
    """Round half up to cents, as invoices do."""
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def parse_timestamp(value: object) -> datetime | None:
    """An aware UTC datetime from ISO 8601 text; a time without an offset is taken as UTC."""
    if not isinstance(value, str) or "T" not in value or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def render_timestamp(value: datetime) -> str:
    """`2026-11-22T08:15:30.250Z`: always UTC, always milliseconds, so clients can parse one format."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S") + f".{value.microsecond // 1000:03d}Z"
