"""Reconciliation reports in the embedded store: one row per comparison of a sync's two systems, one per drift.

A report is written while the comparison runs (its drift in batches, so a large one never sits in
memory) and finished with its counts. A comparison that is running beats now and then; one whose
process died stops beating, and the next start for that sync marks it failed instead of waiting on it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, cast

from ferry.core import jsoncodec
from ferry.core.errors import FerryError
from ferry.engine.store.base import Side

if TYPE_CHECKING:
    from ferry.engine.store.sqlite import SqliteStore

DriftKind = Literal["missing_left", "missing_right", "different", "orphan_link"]
DRIFT_KINDS: tuple[DriftKind, ...] = ("missing_left", "missing_right", "different", "orphan_link")
ReportState = Literal["running", "done", "failed"]
#: A running report that has not beaten for this long belongs to a process that is gone.
STALE_SECONDS = 300.0


@dataclass(frozen=True, slots=True)
class FieldDiff:
    """One field of a twin that is not what the authoritative record maps to (values already redacted)."""

    field: str
    want: Any
    have: Any


@dataclass(frozen=True, slots=True)
class DriftItem:
    """A pair out of step: a record without its twin, a pair whose fields differ, or a link to nothing.

    `source` is the side whose record is the reference: the one that exists (missing), or the one the
    sync's conflict policy makes authoritative (different). `fields` are named in the other side's terms.
    """

    kind: DriftKind
    left_id: str | None
    right_id: str | None
    source: Side | None
    fields: tuple[FieldDiff, ...] = ()
    note: str = ""
    number: int = 0
    #: What the last heal did with it (`queued`, `already queued`, `forgotten`, or `cannot fix: why`).
    heal: str | None = None


@dataclass(frozen=True, slots=True)
class Reconciliation:
    id: int
    sync: str
    state: ReportState
    started_by: str
    started_at: datetime
    finished_at: datetime | None
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    healed_at: datetime | None = None
    heal: dict[str, int] | None = None


class ReconciliationRunning(FerryError):
    """A reconciliation of that sync is running already; wait for it (its id is `running`)."""

    @classmethod
    def of(cls, sync: str, running: int) -> ReconciliationRunning:
        return cls(
            f"Reconciliation {running} of '{sync}' is running; wait for it to finish before starting another.",
            sync=sync,
            running=running,
        )

    @property
    def sync(self) -> str:
        return str(self.context["sync"])

    @property
    def running(self) -> int:
        return int(self.context["running"])


_COLUMNS = "id, sync, state, started_by, started_at, finished_at, counts, error, healed_at, heal"
_ITEM_INSERT = "item, kind, left_id, right_id, source, fields, note"
_ITEM_COLUMNS = f"{_ITEM_INSERT}, heal"


def _dt(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


def _unblob(value: bytes | None) -> Any:
    return jsoncodec.loads(value) if value is not None else None


def _report(r: Sequence[Any]) -> Reconciliation:
    return Reconciliation(
        r[0],
        r[1],
        r[2],
        r[3],
        _dt(r[4]) or datetime.now(UTC),
        _dt(r[5]),
        cast(dict[str, int], _unblob(r[6]) or {}),
        r[7],
        _dt(r[8]),
        cast(dict[str, int] | None, _unblob(r[9])),
    )


def _item(r: Sequence[Any]) -> DriftItem:
    fields = tuple(FieldDiff(f["field"], f.get("want"), f.get("have")) for f in _unblob(r[5]) or [])
    return DriftItem(r[1], r[2], r[3], r[4], fields, r[6], r[0], r[7])


class ReconciliationStore:
    """Reports and their drift items (`store.reconciliations`)."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    async def start(self, sync: str, started_by: str) -> int:
        """Open a report for `sync`; raise `ReconciliationRunning` if one is running (and alive) already."""
        now = self._store.clock()

        def work(c: sqlite3.Connection) -> int:
            c.execute(
                "UPDATE reconciliations SET state='failed', finished_at=?, error=? WHERE sync=? AND state='running'"
                " AND beat_at < ?",
                (now, "stopped before it finished (its process ended)", sync, now - STALE_SECONDS),
            )
            running = c.execute(
                "SELECT id FROM reconciliations WHERE sync=? AND state='running' ORDER BY id LIMIT 1", (sync,)
            ).fetchone()
            if running is not None:
                raise ReconciliationRunning.of(sync, int(running[0]))
            cur = c.execute(
                "INSERT INTO reconciliations(sync, started_by, started_at, beat_at) VALUES (?,?,?,?)",
                (sync, started_by, now, now),
            )
            return int(cur.lastrowid or 0)

        return await self._store._run(work)

    async def add(self, report: int, items: Sequence[DriftItem], counts: Mapping[str, int] | None = None) -> None:
        """Save drift items (numbered by the caller), with the counts so far; the report beats."""
        now = self._store.clock()
        rows = [
            (
                report,
                i.number,
                i.kind,
                i.left_id,
                i.right_id,
                i.source,
                jsoncodec.dumps([{"field": f.field, "want": f.want, "have": f.have} for f in i.fields]),
                i.note,
            )
            for i in items
        ]

        def work(c: sqlite3.Connection) -> None:
            c.executemany(
                f"INSERT INTO reconciliation_items(reconciliation_id, {_ITEM_INSERT}) VALUES (?,?,?,?,?,?,?,?)",
                rows,
            )
            c.execute("UPDATE reconciliations SET beat_at=? WHERE id=?", (now, report))
            if counts is not None:
                c.execute("UPDATE reconciliations SET counts=? WHERE id=?", (jsoncodec.dumps(dict(counts)), report))

        await self._store._run(work)

    async def beat(self, report: int) -> None:
        """Say the report's comparison is still running (reading a large system takes a while)."""
        now = self._store.clock()
        await self._store._run(lambda c: c.execute("UPDATE reconciliations SET beat_at=? WHERE id=?", (now, report)))

    async def finish(self, report: int, counts: Mapping[str, int], *, error: str | None = None) -> None:
        """End the report: `done` with its counts, or `failed` with the error that stopped it."""
        now = self._store.clock()
        state = "failed" if error is not None else "done"
        await self._store._run(
            lambda c: c.execute(
                "UPDATE reconciliations SET state=?, finished_at=?, counts=?, error=? WHERE id=?",
                (state, now, jsoncodec.dumps(dict(counts)), error, report),
            )
        )

    async def get(self, report: int) -> Reconciliation | None:
        def work(c: sqlite3.Connection) -> Reconciliation | None:
            row = c.execute(f"SELECT {_COLUMNS} FROM reconciliations WHERE id=?", (report,)).fetchone()
            return _report(row) if row else None

        return self._store._read(work)

    async def recent(self, *, sync: str | None = None, limit: int = 20) -> list[Reconciliation]:
        """Reports, newest first."""

        def work(c: sqlite3.Connection) -> list[Reconciliation]:
            where, args = (" WHERE sync=?", [sync]) if sync else ("", [])
            rows = c.execute(f"SELECT {_COLUMNS} FROM reconciliations{where} ORDER BY id DESC LIMIT ?", (*args, limit))
            return [_report(r) for r in rows]

        return self._store._read(work)

    async def items(
        self, report: int, *, kind: DriftKind | None = None, offset: int = 0, limit: int = 100
    ) -> tuple[list[DriftItem], int]:
        """A page of the report's drift items, in the order found, and how many there are in all."""

        def work(c: sqlite3.Connection) -> tuple[list[DriftItem], int]:
            where, args = (
                ("reconciliation_id=? AND kind=?", [report, kind]) if kind else ("reconciliation_id=?", [report])
            )
            total = c.execute(f"SELECT COUNT(*) FROM reconciliation_items WHERE {where}", args).fetchone()[0]
            rows = c.execute(
                f"SELECT {_ITEM_COLUMNS} FROM reconciliation_items WHERE {where} ORDER BY item LIMIT ? OFFSET ?",
                (*args, limit, offset),
            )
            return [_item(r) for r in rows], int(total)

        return self._store._read(work)

    async def numbered(self, report: int, numbers: Sequence[int]) -> list[DriftItem]:
        """The report's items with these numbers, in order."""

        def work(c: sqlite3.Connection) -> list[DriftItem]:
            marks = ",".join("?" * len(numbers))
            rows = c.execute(
                f"SELECT {_ITEM_COLUMNS} FROM reconciliation_items WHERE reconciliation_id=? AND item IN ({marks})"
                " ORDER BY item",
                (report, *numbers),
            )
            return [_item(r) for r in rows]

        return self._store._read(work) if numbers else []

    async def healed(self, report: int, outcomes: Sequence[tuple[int, str]], summary: Mapping[str, int]) -> None:
        """Remember what a heal did with each item, and its totals."""
        now = self._store.clock()

        def work(c: sqlite3.Connection) -> None:
            c.executemany(
                "UPDATE reconciliation_items SET heal=? WHERE reconciliation_id=? AND item=?",
                [(outcome, report, number) for number, outcome in outcomes],
            )
            c.execute(
                "UPDATE reconciliations SET healed_at=?, heal=? WHERE id=?",
                (now, jsoncodec.dumps(dict(summary)), report),
            )

        await self._store._run(work)
