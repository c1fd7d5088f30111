"""OData literals, `$filter` expressions and key segments, quoted as Dataverse expects them.

Strings are single-quoted with `'` doubled; GUIDs, numbers, booleans, dates and `null` are bare.
A value is written as the property's EDM type says, so a GUID held in a text column stays a string.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from ferry.core.errors import ValidationError

_BARE_TYPES = frozenset({"Edm.Guid", "Edm.Int16", "Edm.Int32", "Edm.Int64", "Edm.Decimal", "Edm.Double", "Edm.Byte"})


def literal(value: Any, edm_type: str | None = None) -> str:
    """`value` as an OData literal for a property of `edm_type` (guessed from the value when None)."""
    if value is None:
        return "null"
    if edm_type == "Edm.String" and not isinstance(value, bool):
        return "'" + str(value).replace("'", "''") + "'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        raise ValidationError(f"Cannot compare with a {type(value).__name__} in an OData filter: {value!r}.")
    if edm_type == "Edm.Guid":
        try:
            return str(uuid.UUID(value))
        except ValueError:
            raise ValidationError(f"'{value}' is not a GUID.") from None
    if edm_type in _BARE_TYPES or edm_type in ("Edm.Boolean", "Edm.DateTimeOffset", "Edm.Date"):
        return value  # already in OData's own form, e.g. "2026-01-01T00:00:00Z" or "42"
    return "'" + value.replace("'", "''") + "'"


def equals(match: Mapping[str, Any], types: Mapping[str, str]) -> str:
    """`a eq 1 and b eq 'x'` for every pair in `match`."""
    return " and ".join(f"{name} eq {literal(value, types.get(name))}" for name, value in match.items())


def any_of(name: str, values: Iterable[str], edm_type: str = "Edm.Guid") -> str:
    """`(id eq a or id eq b ...)`: plain OData, so it works wherever `$filter` does."""
    return "(" + " or ".join(f"{name} eq {literal(v, edm_type)}" for v in values) + ")"


def key_segment(key: Mapping[str, Any], primary_id: str, types: Mapping[str, str]) -> str:
    """The part between the parentheses of a key URL: `<guid>` or `accountnumber='A-1001'`.

    Characters that would end the path or query (`/`, `?`, `#`, `%`, `&`, `+`) are percent-encoded.
    """
    if not key:
        raise ValidationError("A key needs at least one column.")
    if set(key) == {primary_id}:
        return quote(literal(key[primary_id], "Edm.Guid"), safe="")
    parts = [f"{name}={literal(value, types.get(name))}" for name, value in key.items()]
    return quote(",".join(parts), safe="=,'-_.~:@!$*();")


def version_of(etag: str | None) -> str | None:
    """The row version inside a weak ETag (`W/"12345"` -> `12345`)."""
    if not etag:
        return None
    text = etag.removeprefix("W/").strip('"')
    return text or None


def etag_for(version: str) -> str:
    """The If-Match value for a version this connector reported (or an ETag given as is)."""
    if version == "*" or version.startswith(("W/", '"')):
        return version
    return f'W/"{version}"'
