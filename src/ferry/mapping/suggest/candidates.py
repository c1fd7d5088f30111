"""Candidate source fields from what is known of a source: the fields a mapping reads and sample records."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ferry.mapping.suggest.fields import Field


def candidates(read: Iterable[str], records: Iterable[Mapping[str, Any]]) -> list[Field]:
    """One field per dotted path read or seen, with the values the records hold there as samples."""
    values: dict[str, list[Any]] = {path: [] for path in read}
    for record in records:
        for path, value in flatten(record):
            values.setdefault(path, []).append(value)
    return [Field(path, None, None, tuple(values[path])) for path in sorted(values)]


def flatten(record: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    """(dotted path, value) of every scalar in a record; OData annotations (`@odata...`) left out."""
    for key, value in record.items():
        if "@" in key:
            continue
        if isinstance(value, Mapping):
            yield from flatten(value, f"{prefix}{key}.")
        elif not isinstance(value, list):
            yield f"{prefix}{key}", value
