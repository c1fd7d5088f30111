"""Everything the embedded store holds about one record, read in one snapshot for its lineage.

Its inbox events, the audit entries it caused or received, its dead letters and reviews, the link to its
twin, its and the twin's search entries, and the workflow runs it started or a step of which settled it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ferry.core import jsoncodec
from ferry.engine.store.base import Link, Side, other
from ferry.engine.store.search import IndexedRecord, read_apart, row_of

if TYPE_CHECKING:
    from ferry.engine.store.sqlite import SqliteStore


def _dt(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


def _json(value: bytes | None) -> Any:
    return jsoncodec.loads(value) if value is not None else None


@dataclass(frozen=True, slots=True)
class Trail:
    """Rows about one record, as dictionaries with time-zone aware times, oldest first in each list."""

    sync: str
    side: Side
    record_id: str
    entry: IndexedRecord | None
    link: Link | None
    twin_entry: IndexedRecord | None
    events: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)
    dead_letters: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)
    #: Were older events or audit entries left out (more than MAX_ROWS of either)?
    truncated: bool = False

    @property
    def known(self) -> bool:
        return bool(self.entry or self.link or self.events or self.audit or self.dead_letters or self.runs)


#: Events and audit entries kept of a record's history: the newest this many of each.
MAX_ROWS = 1000


def _newest(c: sqlite3.Connection, sql: str, args: Sequence[Any]) -> tuple[list[dict[str, Any]], bool]:
    """The newest MAX_ROWS rows of `sql` (which orders by id, newest first), oldest first; and whether
    there were more."""
    rows = _rows(c, f"{sql} LIMIT {MAX_ROWS + 1}", args)
    return rows[:MAX_ROWS][::-1], len(rows) > MAX_ROWS


def _rows(c: sqlite3.Connection, sql: str, args: Sequence[Any]) -> list[dict[str, Any]]:
    cur = c.execute(sql, args)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur]


def _times(rows: list[dict[str, Any]], *names: str) -> list[dict[str, Any]]:
    for row in rows:
        for name in names:
            row[name] = _dt(row[name])
    return rows


def _link(c: sqlite3.Connection, sync: str, side: Side, record_id: str) -> Link | None:
    column = "left_id" if side == "left" else "right_id"
    row = c.execute(
        f"SELECT left_id, right_id, deleted, updated_at FROM links WHERE sync=? AND {column}=?", (sync, record_id)
    ).fetchone()
    if row is None:
        return None
    return Link(sync, row[0], row[1], deleted=bool(row[2]), updated_at=_dt(row[3]))


def _entry(c: sqlite3.Connection, sync: str, side: Side, record_id: str | None) -> IndexedRecord | None:
    if record_id is None:
        return None
    row = c.execute(
        "SELECT sync, side, record_id, connection, entity, label, terms, twin_id, last_seen FROM record_index"
        " WHERE sync=? AND side=? AND record_id=?",
        (sync, side, record_id),
    ).fetchone()
    return row_of(row) if row else None


def _gather(c: sqlite3.Connection, sync: str, side: Side, record_id: str) -> Trail:
    link = _link(c, sync, side, record_id)
    twin_side = other(side)
    twin_id = link.id_on(twin_side) if link is not None else None
    entry = _entry(c, sync, side, record_id)
    if twin_id is None and entry is not None:
        twin_id = entry.twin_id
    events, more_events = _newest(
        c,
        "SELECT id, kind, version, source, received_at, occurred_at, attempts, state, last_error, finished_at,"
        " edit IS NOT NULL AS edited FROM events WHERE sync=? AND side=? AND record_id=? ORDER BY id DESC",
        (sync, side, record_id),
    )
    audit, more_audit = _newest(
        c,
        "SELECT id, side, record_id, action, detail, target_id, at FROM audit"
        " WHERE sync=? AND ((side=? AND record_id=?) OR (side=? AND target_id=?)) ORDER BY id DESC",
        (sync, side, record_id, twin_side, record_id),
    )
    for row in audit:
        row["detail"] = _json(row["detail"]) or {}
    letters = _rows(
        c,
        "SELECT id, error_class, error, attempts, created_at, state, reason, resolved_at FROM dead_letters"
        " WHERE sync=? AND side=? AND record_id=? ORDER BY id",
        (sync, side, record_id),
    )
    column = "left_id" if side == "left" else "right_id"
    reviews = _rows(
        c,
        f"SELECT id, reason, state, created_at, decided_at, decided_by FROM reviews WHERE sync=? AND ({column}=?"
        " OR (side=? AND record_id=?)) ORDER BY id",
        (sync, record_id, side, record_id),
    )
    runs = _rows(
        c,
        "SELECT id, workflow, run_key, state, step, reason, created_at, finished_at FROM runs"
        " WHERE trigger_id=? ORDER BY id",
        (record_id,),
    )
    # A step that settled a record through a sync saved {"sync", "side", "id"} as its input.
    needle = "%" + jsoncodec.dumps({"id": record_id}).decode()[1:-1] + "%"
    steps = []
    for row in _rows(
        c,
        "SELECT s.run_id, r.workflow, s.step, s.state, s.input, s.error, s.attempts, s.started_at, s.finished_at"
        " FROM run_steps s JOIN runs r ON r.id = s.run_id WHERE CAST(s.input AS TEXT) LIKE ? ORDER BY s.rowid",
        (needle,),
    ):
        given = _json(row.pop("input"))
        if isinstance(given, dict) and (given.get("sync"), given.get("side"), given.get("id")) == (
            sync,
            side,
            record_id,
        ):
            steps.append(row)
    return Trail(
        sync,
        side,
        record_id,
        entry,
        link,
        _entry(c, sync, twin_side, twin_id),
        _times(events, "received_at", "occurred_at", "finished_at"),
        _times(audit, "at"),
        _times(letters, "created_at", "resolved_at"),
        _times(reviews, "created_at", "decided_at"),
        _times(runs, "created_at", "finished_at"),
        _times(steps, "started_at", "finished_at"),
        more_events or more_audit,
    )


async def record_trail(store: SqliteStore, sync: str, side: Side, record_id: str) -> Trail:
    """What the store knows of the record, in one read snapshot (on a connection of its own)."""

    def work(c: sqlite3.Connection) -> Trail:
        c.execute("BEGIN")
        try:
            return _gather(c, sync, side, record_id)
        finally:
            c.execute("COMMIT")

    return await read_apart(store.path, work)
