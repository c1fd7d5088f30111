"""Workflow runs in the embedded store: one row per run, one per step it has been through.

A run is claimed like a record: by one worker at a time, under a lease that another worker may take
over once it runs out. Each step's outcome and the run's next state commit together, and a worker's
write counts only while it still holds the run (a worker whose lease ran out cannot overwrite the
work of the one that took over).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from ferry.core import jsoncodec
from ferry.engine.store.base import Claim, Run, RunState, StepRecord

if TYPE_CHECKING:
    from ferry.engine.store.sqlite import SqliteStore

_RUN_COLUMNS = (
    "id, workflow, run_key, trigger_id, trigger, state, due_at, step, attempts, generation, reason,"
    " created_at, updated_at, finished_at"
)
_STEP_COLUMNS = "step, state, input, output, error, attempts, started_at, finished_at"


def _dt(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


def _ts(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def _blob(value: Any) -> bytes | None:
    return jsoncodec.dumps(value) if value is not None else None


def _unblob(value: bytes | None) -> Any:
    return jsoncodec.loads(value) if value is not None else None


def _run(r: Sequence[Any], steps: dict[str, StepRecord] | None = None) -> Run:
    return Run(
        r[0],
        r[1],
        r[2],
        r[3],
        cast(dict[str, Any] | None, _unblob(r[4])),
        r[5],
        _dt(r[6]) or datetime.now(UTC),
        r[7],
        r[8],
        r[9],
        r[10],
        _dt(r[11]) or datetime.now(UTC),
        _dt(r[12]) or datetime.now(UTC),
        _dt(r[13]),
        steps or {},
    )


def _steps(c: sqlite3.Connection, run_id: int) -> dict[str, StepRecord]:
    rows = c.execute(f"SELECT {_STEP_COLUMNS} FROM run_steps WHERE run_id=? ORDER BY rowid", (run_id,))
    return {r[0]: StepRecord(r[0], r[1], _unblob(r[2]), _unblob(r[3]), r[4], r[5], _dt(r[6]), _dt(r[7])) for r in rows}


def _save_step(c: sqlite3.Connection, run_id: int, record: StepRecord) -> None:
    c.execute(
        f"INSERT INTO run_steps(run_id, {_STEP_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)"
        " ON CONFLICT(run_id, step) DO UPDATE SET state=excluded.state, input=excluded.input,"
        " output=excluded.output, error=excluded.error, attempts=excluded.attempts,"
        " started_at=excluded.started_at, finished_at=excluded.finished_at",
        (
            run_id,
            record.step,
            record.state,
            _blob(record.input),
            _blob(record.output),
            record.error,
            record.attempts,
            _ts(record.started_at),
            _ts(record.finished_at),
        ),
    )


class RunStore:
    """The runs and steps of every workflow of one project (`store.runs`)."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    async def start(
        self, workflow: str, key: str, trigger_id: str, trigger: dict[str, Any] | None, claim: Claim | None = None
    ) -> tuple[int, bool]:
        """Start the run of (workflow, key) unless it exists; settle the claim's events in the same commit.

        Returns the run's id and whether it is new. A run that exists and waits is woken instead, so a
        change to its trigger record (paid, cancelled) is looked at promptly.
        """
        now = self._store.clock()
        events = [e.id for e in claim.events] if claim is not None else []

        def work(c: sqlite3.Connection) -> tuple[int, bool]:
            cur = c.execute(
                "INSERT OR IGNORE INTO runs(workflow, run_key, trigger_id, trigger, due_at, created_at, updated_at)"
                " VALUES (?,?,?,?,?,?,?)",
                (workflow, key, trigger_id, _blob(trigger), now, now, now),
            )
            created = cur.rowcount == 1
            row = c.execute("SELECT id FROM runs WHERE workflow=? AND run_key=?", (workflow, key)).fetchone()
            if not created:
                c.execute("UPDATE runs SET due_at=? WHERE id=? AND state='waiting'", (now, row[0]))
            c.executemany(
                "UPDATE events SET state='done', worker=NULL, finished_at=? WHERE id=?", [(now, i) for i in events]
            )
            return int(row[0]), created

        return await self._store._run(work)

    async def claim(self, *, worker: str, limit: int, lease_seconds: float) -> list[Run]:
        """Take up to `limit` runs that are due; runs whose holder's lease ran out are due again."""
        now = self._store.clock()

        def work(c: sqlite3.Connection) -> list[Run]:
            c.execute(
                "UPDATE runs INDEXED BY runs_leases SET state='pending', worker=NULL"
                " WHERE state='running' AND lease_until < ?",
                (now,),
            )
            rows = c.execute(
                "UPDATE runs SET state='running', worker=?, lease_until=?, updated_at=? WHERE id IN"
                " (SELECT id FROM runs WHERE state IN ('pending', 'waiting') AND due_at <= ? ORDER BY due_at, id"
                f" LIMIT ?) RETURNING {_RUN_COLUMNS}",
                (worker, now + lease_seconds, now, now, limit),
            ).fetchall()
            return [_run(r, _steps(c, r[0])) for r in sorted(rows, key=lambda r: (r[6], r[0]))]

        return await self._store._run(work)

    async def advance(
        self,
        run: Run,
        worker: str,
        *,
        state: RunState,
        record: StepRecord | None = None,
        records: Sequence[StepRecord] = (),
        due_in: float = 0.0,
        step: str | None = None,
        attempts: int = 0,
        reason: str | None = None,
        lease_seconds: float | None = None,
    ) -> bool:
        """Save step outcomes and move the run, in one commit, if `worker` still holds it.

        `state='running'` keeps the run (and, with `lease_seconds`, renews the lease); any other state
        hands it back. Returns False when the run was taken over meanwhile (nothing is written).
        """
        now = self._store.clock()
        saved = [*([record] if record is not None else []), *records]

        def work(c: sqlite3.Connection) -> bool:
            held = c.execute("SELECT 1 FROM runs WHERE id=? AND worker=? AND state='running'", (run.id, worker))
            if held.fetchone() is None:
                return False
            for item in saved:
                _save_step(c, run.id, item)
            holder = worker if state == "running" else None
            lease = now + lease_seconds if (state == "running" and lease_seconds) else None
            finished = now if state in ("completed", "failed", "compensated", "cancelled") else None
            c.execute(
                "UPDATE runs SET state=?, due_at=?, step=?, attempts=?, reason=?, worker=?,"
                " lease_until=COALESCE(?, lease_until), updated_at=?, finished_at=COALESCE(?, finished_at)"
                " WHERE id=?",
                (state, now + due_in, step, attempts, reason, holder, lease, now, finished, run.id),
            )
            return True

        return await self._store._run(work)

    async def wake(self, run_ids: Sequence[int]) -> int:
        """Make waiting runs due now (something they wait for may have happened)."""
        if not run_ids:
            return 0
        now = self._store.clock()

        def work(c: sqlite3.Connection) -> int:
            before = c.total_changes
            c.executemany(
                "UPDATE runs SET due_at=? WHERE id=? AND state='waiting' AND due_at > ?",
                [(now, i, now) for i in run_ids],
            )
            return c.total_changes - before

        return await self._store._run(work)

    async def retry(self, run_id: int) -> Run | None:
        """Resume a held or failed run from the step it stopped at; None if it is not held or failed."""
        now = self._store.clock()

        def work(c: sqlite3.Connection) -> Run | None:
            row = c.execute(
                "UPDATE runs SET state='pending', due_at=?, attempts=0, generation=generation+1, reason=NULL,"
                f" updated_at=?, finished_at=NULL WHERE id=? AND state IN ('held', 'failed') RETURNING {_RUN_COLUMNS}",
                (now, now, run_id),
            ).fetchone()
            return _run(row) if row else None

        return await self._store._run(work)

    async def cancel(self, run_id: int, reason: str) -> bool:
        """Stop a run that has not ended (it runs no further step)."""
        now = self._store.clock()

        def work(c: sqlite3.Connection) -> bool:
            cur = c.execute(
                "UPDATE runs SET state='cancelled', reason=?, worker=NULL, updated_at=?, finished_at=? WHERE id=?"
                " AND state IN ('pending', 'waiting', 'held', 'failed')",
                (reason, now, now, run_id),
            )
            return bool(cur.rowcount)

        return await self._store._run(work)

    async def get(self, run_id: int) -> Run | None:
        def work(c: sqlite3.Connection) -> Run | None:
            row = c.execute(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id=?", (run_id,)).fetchone()
            return _run(row, _steps(c, run_id)) if row else None

        return await self._store._run(work)

    async def find(self, workflow: str, key: str) -> Run | None:
        def work(c: sqlite3.Connection) -> Run | None:
            row = c.execute(f"SELECT {_RUN_COLUMNS} FROM runs WHERE workflow=? AND run_key=?", (workflow, key))
            found = row.fetchone()
            return _run(found, _steps(c, found[0])) if found else None

        return await self._store._run(work)

    async def list(
        self, *, workflow: str | None = None, state: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[Run]:
        """Runs, newest first, without their steps."""

        def work(c: sqlite3.Connection) -> list[Run]:
            sql = f"SELECT {_RUN_COLUMNS} FROM runs WHERE 1=1"
            args: list[Any] = []
            if workflow:
                sql, args = sql + " AND workflow=?", [*args, workflow]
            if state:
                sql, args = sql + " AND state=?", [*args, state]
            rows = c.execute(sql + " ORDER BY id DESC LIMIT ? OFFSET ?", (*args, limit, offset))
            return [_run(r) for r in rows]

        return await self._store._run(work)

    async def counts(self) -> dict[str, dict[str, int]]:
        """Runs per workflow and state."""

        def work(c: sqlite3.Connection) -> dict[str, dict[str, int]]:
            out: dict[str, dict[str, int]] = {}
            for workflow, state, n in c.execute("SELECT workflow, state, COUNT(*) FROM runs GROUP BY workflow, state"):
                out.setdefault(workflow, {})[state] = n
            return out

        return await self._store._run(work)

    def runnable(self) -> bool:
        """Is a run in hand, or due now? (Waiting runs due later are not work yet.)"""
        now = self._store.clock()

        def work(c: sqlite3.Connection) -> bool:
            row = c.execute(
                "SELECT 1 FROM runs WHERE state='running' OR (state IN ('pending', 'waiting') AND due_at <= ?) LIMIT 1",
                (now,),
            ).fetchone()
            return row is not None

        return self._store._read(work)
