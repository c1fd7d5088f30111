"""What a record is found by in record search: its ids and the fields that name it, and a label for people.

The engine knows no vendor, so the identifying fields are picked by their names: numbers, codes, SKUs,
references, emails, names and titles (`accountnumber`, `SKU`, `Email`, `CompanyName`...). A side of a
sync may name them instead (`search:` in `ferry.yaml`). Fields whose names say they hold secrets or
card and bank details are never indexed, and neither are codes that classify rather than identify
(`statuscode`, `countrycode`, `currencycode`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ferry.core.redact import SENSITIVE

if TYPE_CHECKING:
    from ferry.engine.store.base import Side

Kind = Literal["name", "number", "email"]

_EMAIL = re.compile(r"e_?mail")
_NUMBER = re.compile(r"(number|code|sku|reference|^ref$|ordernumber|orderno|invoiceno|^no$|barcode|ean|upc|gtin)")
_NAME = re.compile(r"(name|title)")
#: Codes and names that classify a record (its state, country, currency...) rather than identify it.
_CLASSIFIES = re.compile(
    r"(postal|zip|country|currency|state|status|language|locale|type|timezone|region|province|county|"
    r"reason|category|unit|uom|terms|method|carrier)"
)
#: Full-name fields, preferred for the label over any other name-like field.
_FULL_NAMES = ("name", "fullname", "companyname", "displayname", "title", "subject")
_MAX_VALUE = 200
#: Ids that are this short are numbers people use (TIMS `10016`); longer ones (GUIDs) stay out of labels.
_SHORT_ID = 20


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """One record as record search finds it."""

    sync: str
    side: Side
    record_id: str
    connection: str
    entity: str
    label: str
    #: Lower-case search terms, one a line.
    terms: str
    twin_id: str | None


@functools.lru_cache(maxsize=4096)
def field_kind(name: str) -> Kind | None:
    """How a field identifies a record, judged by its name (None: it does not)."""
    if name.startswith(("_", "@")) or "@" in name or SENSITIVE.search(name):
        return None
    key = re.sub(r"[^a-z0-9]", "", name.rsplit(".", 1)[-1].lower())
    if _EMAIL.search(key):
        return "email"
    if _CLASSIFIES.search(key):
        return None
    if _NUMBER.search(key):
        return "number"
    if _NAME.search(key):
        return "name"
    return None


@functools.lru_cache(maxsize=1024)
def _plan(keys: tuple[str, ...], prefix: str) -> tuple[tuple[str, str, Kind], ...]:
    """Which of these fields identify a record: records of one entity share their keys, so this is
    worked out once per shape rather than once per record (it is on the engine's hot path)."""
    return tuple((key, prefix + key, kind) for key in keys if (kind := field_kind(prefix + key)) is not None)


def _picked(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Kind, str]]:
    """Identifying fields at the top level, and in nested objects one level down (an expanded contact)."""
    for key, name, kind in _plan(tuple(data), prefix):
        if (text := _text(data[key])) is not None:
            yield name, kind, text
    if not prefix:
        for key, value in data.items():
            # `dict`, not `Mapping`: an ABC check costs ten times as much, per field of every record.
            if type(value) is dict and not _sensitive(key):
                yield from _picked(value, f"{key}.")


@functools.lru_cache(maxsize=1024)
def _parts(name: str) -> tuple[str, ...]:
    return tuple(name.split("."))


@functools.lru_cache(maxsize=1024)
def _sensitive(name: str) -> bool:
    return SENSITIVE.search(name) is not None


def _text(value: Any) -> str | None:
    kind = type(value)  # exact types: a bool is not a number people search by
    if kind is str:
        return value.strip()[:_MAX_VALUE] or None
    if kind is int:
        return str(value)
    return None


def identifying(data: Mapping[str, Any], fields: Sequence[str] = ()) -> list[tuple[str, Kind | None, str]]:
    """The (field, kind, value) that identify the record: the `fields` named, or those picked by name."""
    if fields:
        found = []
        for name in fields:
            value: Any = data
            for part in _parts(name):
                value = value.get(part) if type(value) is dict else None
            if (text := _text(value)) is not None:
                found.append((name, field_kind(name), text))
        return found
    return list(_picked(data))


def label(record_id: str, found: Sequence[tuple[str, Kind | None, str]]) -> str:
    """`Contoso Ltd (ACC-1001)`: the record's name and number, or whatever of them it has."""
    names = [(n, v) for n, k, v in found if k == "name" or k is None]
    full = [v for n, v in names if n.lower() in _FULL_NAMES]
    name = full[0] if full else (names[0][1] if names else None)
    numbers = [v for _, k, v in found if k == "number"]
    number = numbers[0] if numbers else (record_id if len(record_id) <= _SHORT_ID else None)
    if name is None:
        emails = [v for _, k, v in found if k == "email"]
        name = emails[0] if emails else None
    if name and number and number != name:
        return f"{name} ({number})"
    return name or number or record_id


def index_entry(
    sync: str,
    side: Side,
    record_id: str,
    *,
    connection: str,
    entity: str,
    data: Mapping[str, Any] | None,
    twin_id: str | None,
    fields: Sequence[str] = (),
) -> IndexEntry:
    """The search entry of one record, from the data ferry read of it or wrote to it."""
    found = identifying(data or {}, fields)
    terms = dict.fromkeys(t.lower() for t in (record_id, twin_id or "", *(v for _, _, v in found)) if t)
    return IndexEntry(sync, side, record_id, connection, entity, label(record_id, found), "\n".join(terms), twin_id)
