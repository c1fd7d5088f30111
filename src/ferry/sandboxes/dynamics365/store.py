"""Rows of every table, with row versions, alternate-key indexes, delete tombstones and transactions.

Every write goes through one `Transaction`: either all of a request's (or a `$batch` change set's)
writes stay, or none do. Mutations never await, so on the event loop a transaction is atomic.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from ferry.sandboxes.dynamics365.schema import Table

Row = dict[str, Any]
Message = Literal["Create", "Update", "Delete"]


@dataclass(frozen=True, slots=True)
class Ref:
    """The value of a lookup column: a row of some table."""

    table: str
    id: str


@dataclass(slots=True)
class Change:
    """One committed write, as webhooks and audit see it."""

    message: Message
    table: str
    id: str
    before: Row | None
    after: Row | None
    #: Columns the caller set (Create/Update), which is what a webhook's Target carries.
    columns: tuple[str, ...] = ()


@dataclass(slots=True)
class Tombstone:
    version: int
    id: str
    deleted_on: datetime


@dataclass(slots=True)
class Transaction:
    changes: list[Change] = field(default_factory=list)
    undo: list[tuple[str, str, Row | None]] = field(default_factory=list)
    tombstones: list[tuple[str, Tombstone]] = field(default_factory=list)


class KeyConflict(Exception):
    """An alternate key's values are already used by another row."""

    def __init__(self, table: Table, key: tuple[str, ...]) -> None:
        super().__init__(f"{table.logical_name} {key}")
        self.table = table
        self.key = key


class Store:
    def __init__(self, tables: dict[str, Table]) -> None:
        self.tables = tables
        self.rows: dict[str, dict[str, Row]] = {name: {} for name in tables}
        self.tombstones: dict[str, list[Tombstone]] = {name: [] for name in tables}
        self._keys: dict[tuple[str, tuple[str, ...]], dict[tuple[Any, ...], str]] = {
            (t.logical_name, key): {} for t in tables.values() for key in t.alternate_keys
        }
        self.version = 1_200_000
        self._tx: Transaction | None = None

    # --- reads ---

    def get(self, table: str, row_id: str) -> Row | None:
        return self.rows[table].get(row_id)

    def find_by_key(self, table: str, key: dict[str, Any]) -> str | None:
        """The id of the row whose primary key or alternate key has these values."""
        t = self.tables[table]
        if set(key) == {t.primary_id}:
            row_id = str(key[t.primary_id]).lower()
            return row_id if row_id in self.rows[table] else None
        for columns in t.alternate_keys:
            if set(columns) == set(key):
                value = _key_value(columns, key)
                return None if value is None else self._keys[(table, columns)].get(value)
        return None

    # --- writes (inside a transaction) ---

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Group writes; an exception undoes every write made in the block."""
        if self._tx is not None:
            yield self._tx  # nested: the outer transaction decides
            return
        tx = self._tx = Transaction()
        try:
            yield tx
        except BaseException:
            self._rollback(tx)
            raise
        finally:
            self._tx = None

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Inside a transaction, an exception in the block undoes only the writes made in the block."""
        tx = self._tx
        if tx is None:
            with self.transaction():
                yield
            return
        marks = (len(tx.undo), len(tx.tombstones), len(tx.changes))
        try:
            yield
        except BaseException:
            self._rollback(tx, marks)
            raise

    def next_version(self) -> int:
        self.version += 1
        return self.version

    def put(self, table: str, row: Row) -> None:
        """Insert or replace a row (whose primary id is set), keeping key indexes right."""
        t = self.tables[table]
        row_id = row[t.primary_id]
        before = self.rows[table].get(row_id)
        self._check_keys(t, row_id, row)
        self._journal(table, row_id, before)
        if before is not None:
            self._unindex(t, row_id, before)
        self.rows[table][row_id] = row
        self._index(t, row_id, row)

    def remove(self, table: str, row_id: str, deleted_on: datetime) -> Row:
        t = self.tables[table]
        before = self.rows[table].pop(row_id)
        self._journal(table, row_id, before)
        self._unindex(t, row_id, before)
        stone = Tombstone(self.next_version(), row_id, deleted_on)
        self.tombstones[table].append(stone)
        if self._tx is not None:
            self._tx.tombstones.append((table, stone))
        return before

    def record(self, change: Change) -> None:
        if self._tx is not None:
            self._tx.changes.append(change)

    # --- internals ---

    def _journal(self, table: str, row_id: str, before: Row | None) -> None:
        if self._tx is not None:
            self._tx.undo.append((table, row_id, copy.copy(before) if before is not None else None))

    def _rollback(self, tx: Transaction, marks: tuple[int, int, int] = (0, 0, 0)) -> None:
        """Undo the writes journaled after `marks` (undo entries, tombstones, changes)."""
        undo_mark, tombstone_mark, change_mark = marks
        for table, row_id, before in reversed(tx.undo[undo_mark:]):
            t = self.tables[table]
            current = self.rows[table].get(row_id)
            if current is not None:
                self._unindex(t, row_id, current)
            if before is None:
                self.rows[table].pop(row_id, None)
            else:
                self.rows[table][row_id] = before
                self._index(t, row_id, before)
        for table, stone in tx.tombstones[tombstone_mark:]:
            self.tombstones[table].remove(stone)
        del tx.undo[undo_mark:]
        del tx.tombstones[tombstone_mark:]
        del tx.changes[change_mark:]

    def _check_keys(self, t: Table, row_id: str, row: Row) -> None:
        for key in t.alternate_keys:
            value = _key_value(key, row)
            if value is None:
                continue
            owner = self._keys[(t.logical_name, key)].get(value)
            if owner is not None and owner != row_id:
                raise KeyConflict(t, key)

    def _index(self, t: Table, row_id: str, row: Row) -> None:
        for key in t.alternate_keys:
            value = _key_value(key, row)
            if value is not None:
                self._keys[(t.logical_name, key)][value] = row_id

    def _unindex(self, t: Table, row_id: str, row: Row) -> None:
        for key in t.alternate_keys:
            value = _key_value(key, row)
            index = self._keys[(t.logical_name, key)]
            if value is not None and index.get(value) == row_id:
                del index[value]


def _key_value(columns: tuple[str, ...], row: dict[str, Any]) -> tuple[Any, ...] | None:
    """Key values, case-insensitive for text like Dataverse's collation; None if any part is empty."""
    values = []
    for column in columns:
        v = row.get(column)
        if v is None or v == "":
            return None
        values.append(v.casefold() if isinstance(v, str) else v)
    return tuple(values)
