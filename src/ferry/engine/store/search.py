"""Record search in the embedded store: one row per (sync, side, record), filled as records are settled.

The rows are written inside the transaction that settles the record (`SqliteStore.finish`), so the
index costs no commit of its own, and a row is all it costs: the terms are kept in lower case and a
question scans them for the lower-cased text (Unicode-aware, unlike SQLite's `LIKE`), on a connection
of its own. An FTS5 trigram index would answer from an index, but it made each settled record cost the
single writer thread ten times as much (`bench/record_index.py`, `docs/records.md`).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from ferry.engine.searchterms import IndexEntry
from ferry.engine.store.base import Side

if TYPE_CHECKING:
    from ferry.engine.store.sqlite import SqliteStore

T = TypeVar("T")
_COLUMNS = "sync, side, record_id, connection, entity, label, terms, twin_id, last_seen"


@dataclass(frozen=True, slots=True)
class IndexedRecord(IndexEntry):
    """A record as search knows it, with when ferry last settled or wrote it."""

    last_seen: datetime


_REPLACE = (
    " connection=excluded.connection, entity=excluded.entity, label=excluded.label, terms=excluded.terms,"
    " twin_id=COALESCE(excluded.twin_id, twin_id), last_seen=excluded.last_seen"
)


def save_entries(c: sqlite3.Connection, entries: Sequence[IndexEntry], now: float, *, replace: bool = True) -> None:
    """Upsert the entries (run inside the caller's transaction); unchanged terms leave FTS alone.

    With `replace=False` a record already indexed keeps its label and terms (a dead letter's payload
    may be a partial webhook body, or none: it must not blank out what a full read found).
    """
    if not entries:
        return
    c.executemany(
        f"INSERT INTO record_index({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(sync, side, record_id)"
        f" DO UPDATE SET {_REPLACE if replace else 'last_seen=excluded.last_seen'}",
        [(e.sync, e.side, e.record_id, e.connection, e.entity, e.label, e.terms, e.twin_id, now) for e in entries],
    )


def row_of(r: Sequence[object]) -> IndexedRecord:
    return IndexedRecord(
        str(r[0]),
        "left" if r[1] == "left" else "right",
        str(r[2]),
        str(r[3]),
        str(r[4]),
        str(r[5]),
        str(r[6]),
        None if r[7] is None else str(r[7]),
        datetime.fromtimestamp(float(str(r[8])), UTC),
    )


class RecordIndex:
    """Search over the records ferry has settled (`store.records`)."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    async def search(self, query: str, *, limit: int = 20) -> list[IndexedRecord]:
        """Records whose id, twin's id or identifying fields contain `query` (any case).

        Best first: an exact id, then a term that starts with the query, then a word that does, then the
        rest; the most recently seen first within each.
        """
        needle = query.strip().lower()
        if not needle:
            return []
        cols = ", ".join(f"r.{c}" for c in _COLUMNS.split(", "))
        rank = (
            "CASE WHEN r.record_id = :exact OR r.twin_id = :exact THEN 0"
            " WHEN instr(char(10) || r.terms, char(10) || :needle) > 0 THEN 1"
            " WHEN instr(' ' || replace(r.terms, char(10), ' '), ' ' || :needle) > 0 THEN 2 ELSE 3 END"
        )
        sql = (
            f"SELECT {cols} FROM record_index r WHERE instr(r.terms, :needle) > 0"
            f" ORDER BY {rank}, r.last_seen DESC LIMIT :limit"
        )
        args = {"exact": query.strip(), "needle": needle, "limit": limit}
        return await read_apart(self._store.path, lambda c: [row_of(r) for r in c.execute(sql, args)])

    async def get(self, sync: str, side: Side, record_id: str) -> IndexedRecord | None:
        def work(c: sqlite3.Connection) -> IndexedRecord | None:
            row = c.execute(
                f"SELECT {_COLUMNS} FROM record_index WHERE sync=? AND side=? AND record_id=?", (sync, side, record_id)
            ).fetchone()
            return row_of(row) if row else None

        return await read_apart(self._store.path, work)


async def read_apart(path: Path, work: Callable[[sqlite3.Connection], T]) -> T:
    """Run a read on a connection of its own in a thread: a broad search holds up neither the event loop
    nor the writer (WAL lets it read the last commit alongside)."""

    def run() -> T:
        conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
        )
        try:
            return work(conn)
        finally:
            conn.close()

    return await asyncio.to_thread(run)
