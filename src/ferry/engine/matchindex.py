"""An initial load's index of one side's records by their match values, built from its full read.

An initial load reads every record of both sides anyway. Keeping, for each record, the values that
match rules and the link field compare (email, name, `ExternalID`) lets the load find existing twins
in memory instead of asking the other system up to three times per record. The index is a snapshot,
so it serves only while the load settles; live running asks the system.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ferry.core.records import Record


def _key(value: Any) -> str:
    # Systems compare emails and names without regard to case or surrounding spaces; so does the index.
    return str(value).strip().casefold()


class MatchIndex:
    """Record ids by (field, value) for the fields one side is matched on."""

    def __init__(self, fields: Iterable[str]) -> None:
        self.fields = frozenset(fields)
        self._ids: dict[tuple[str, str], list[str]] = {}
        self.records = 0

    def add(self, records: Iterable[Record]) -> None:
        for record in records:
            if record.deleted:
                continue
            self.records += 1
            for name in self.fields:
                value = record.data.get(name)
                if value not in (None, ""):
                    self._ids.setdefault((name, _key(value)), []).append(record.id)

    def covers(self, field: str) -> bool:
        return field in self.fields

    def ids(self, field: str, value: Any) -> list[str]:
        """Ids of the records whose `field` equals `value` (a field not indexed raises KeyError)."""
        if field not in self.fields:
            raise KeyError(field)
        return list(self._ids.get((field, _key(value)), ()))
