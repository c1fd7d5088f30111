"""Records in memory, and the unit of work every change goes through.

A `Tx` stages new versions of records (the one the client wrote, plus whatever the business rules
touch: an order a shipment ships, the inventory rows it draws from). Rules read through the `Tx`, so
they see the staged state; nothing reaches the tables until `commit()`, which cannot fail. That is
how a refused request leaves no trace.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ferry.sandboxes.tims.problems import FieldProblem, Problem
from ferry.sandboxes.tims.schema import COLLECTIONS, INACTIVE, Collection

Key = int | tuple[str, str]
Record = dict[str, Any]

_BOOKKEEPING = ("Version", "ModifiedAt")


def _indexed(value: object) -> bool:
    # Empty ExternalIDs are common in real data and identify nothing, so they never collide.
    return value is not None and value != ""


def _hashable(value: object) -> object:
    return value if isinstance(value, str | int | float | bool | type(None) | tuple) else repr(value)


class Table:
    """One collection's records by key, with indexes for its unique fields."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection
        self.rows: dict[Key, Record] = {}
        self.unique: dict[str, dict[object, Key]] = {name: {} for name in collection.unique}
        #: Equality indexes, built for a field the first time a list is filtered by it.
        self.by_value: dict[str, dict[object, set[Key]]] = {}
        self.next_id = collection.first_id

    def put(self, key: Key, record: Record) -> None:
        old = self.rows.get(key)
        for name, index in self.unique.items():
            if old is not None and _indexed(old.get(name)) and index.get(old[name]) == key:
                del index[old[name]]
            if _indexed(record.get(name)):
                index[record[name]] = key
        for name, values in self.by_value.items():
            if old is not None:
                values.get(_hashable(old.get(name)), set()).discard(key)
            values.setdefault(_hashable(record.get(name)), set()).add(key)
        self.rows[key] = record

    def keys_where(self, name: str, wanted: list[object]) -> set[Key]:
        """Keys of the records whose `name` equals one of `wanted` (an exact match, as list filters are)."""
        index = self.by_value.get(name)
        if index is None:
            index = self.by_value[name] = {}
            for key, record in self.rows.items():
                index.setdefault(_hashable(record.get(name)), set()).add(key)
        found: set[Key] = set()
        for value in wanted:
            found |= index.get(_hashable(value), set())
        return found


class Store:
    """Every table, plus the few settings the rules consult."""

    def __init__(self, closed_before: str | None = None) -> None:
        self.tables = {name: Table(c) for name, c in COLLECTIONS.items()}
        #: Periods (`YYYY-MM`) before this one are closed to postings; None while seeding history.
        self.closed_before = closed_before

    def table(self, collection: str) -> Table:
        return self.tables[collection]


@dataclass(frozen=True, slots=True)
class Change:
    """A record as it was and as it is after a commit; one webhook event per change."""

    collection: Collection
    key: Key
    before: Record | None
    after: Record

    @property
    def action(self) -> str:
        if self.before is None:
            return "created"
        if self.after["Status"] == INACTIVE and self.before["Status"] != INACTIVE:
            return "deleted"
        return "updated"


class Tx:
    """Staged changes over a `Store`; read through it to see them."""

    def __init__(self, store: Store, now: datetime) -> None:
        self.store = store
        # Millisecond precision: what the API renders is exactly what `modifiedSince` compares.
        self.now = now.replace(microsecond=now.microsecond // 1000 * 1000)
        self.staged: dict[tuple[str, Key], Record] = {}
        self._next_ids: dict[str, int] = {}

    def get(self, collection: str, key: Key) -> Record | None:
        staged = self.staged.get((collection, key))
        return staged if staged is not None else self.store.tables[collection].rows.get(key)

    def committed(self, collection: str, key: Key) -> Record | None:
        """The record as it is before this unit of work."""
        return self.store.tables[collection].rows.get(key)

    def rows(self, collection: str) -> Iterator[tuple[Key, Record]]:
        table = self.store.tables[collection]
        for key, record in table.rows.items():
            yield key, self.staged.get((collection, key), record)
        for (name, key), record in self.staged.items():
            if name == collection and key not in table.rows:
                yield key, record

    def new_id(self, collection: str) -> int:
        next_id = self._next_ids.get(collection, self.store.tables[collection].next_id)
        self._next_ids[collection] = next_id + 1
        return next_id

    def stage(self, collection: str, key: Key, record: Record) -> None:
        self.staged[(collection, key)] = record

    def staged_in(self, collection: str) -> list[tuple[Key, Record]]:
        return [(key, record) for (name, key), record in self.staged.items() if name == collection]

    def check_unique(self) -> None:
        """409 when a staged record takes a unique value another record holds."""
        for (name, key), record in list(self.staged.items()):
            table = self.store.tables[name]
            for field in table.unique:
                value = record.get(field)
                if not _indexed(value):
                    continue
                holder = self._holder(name, field, value, key)
                if holder is not None:
                    raise Problem(
                        409,
                        f"{field} {value!r} is already used by {table.collection.id_field} {holder}.",
                        slug="duplicate",
                        errors=[FieldProblem(field, f"is already used by {holder}")],
                        extra={"existingId": holder},
                    )

    def _holder(self, collection: str, field: str, value: object, key: Key) -> Key | None:
        held = self.store.tables[collection].unique[field].get(value)
        if held is not None and held != key:
            current = self.get(collection, held)
            if current is not None and current.get(field) == value:
                return held
        for (name, other), record in self.staged.items():
            if name == collection and other != key and record.get(field) == value:
                return other
        return None

    def commit(self) -> list[Change]:
        """Write every staged record that differs from what is stored; bump Version and ModifiedAt."""
        changes: list[Change] = []
        for (name, key), record in self.staged.items():
            table = self.store.tables[name]
            before = table.rows.get(key)
            if before is not None and _same(before, record):
                continue
            after = {**record, "Version": (before["Version"] if before else 0) + 1, "ModifiedAt": self.now}
            table.put(key, after)
            changes.append(Change(table.collection, key, before, after))
        for name, next_id in self._next_ids.items():
            table = self.store.tables[name]
            table.next_id = max(table.next_id, next_id)
        self.staged.clear()
        return changes


def _same(a: Record, b: Record) -> bool:
    keys = (set(a) | set(b)) - set(_BOOKKEEPING)
    return all(a.get(k) == b.get(k) for k in keys)
