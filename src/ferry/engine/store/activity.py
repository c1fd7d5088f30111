"""What alert rules read of the store: outcomes in a time window, the oldest waiting change, held runs.

Counts over a window walk the `(finished_at, ...)` indexes, so their cost follows what settled in the
window, not everything the store has ever held.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ferry.engine.store.sqlite import SqliteStore


@dataclass(frozen=True, slots=True)
class Outcomes:
    """What a flow (a sync's records, a workflow's runs) finished in a window."""

    processed: int = 0
    failed: int = 0


@dataclass(frozen=True, slots=True)
class Held:
    count: int
    #: The run held longest, to link to when it is the only one.
    oldest_run: int


class Activity:
    """Read-only views for alert rules (`store.activity`)."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    async def record_outcomes(self, since: float, until: float) -> dict[str, Outcomes]:
        """Per sync: events settled between the two times, and how many of them were dead-lettered."""

        def work(c: sqlite3.Connection) -> dict[str, Outcomes]:
            rows = c.execute(
                "SELECT sync, COUNT(*), SUM(state='dead') FROM events INDEXED BY events_finished"
                " WHERE finished_at >= ? AND finished_at < ? AND state IN ('done', 'dead') GROUP BY sync",
                (since, until),
            )
            return {sync: Outcomes(n, int(dead or 0)) for sync, n, dead in rows}

        return await self._store._run(work)

    async def run_outcomes(self, since: float, until: float) -> dict[str, Outcomes]:
        """Per workflow: runs that ended between the two times, and how many of them failed."""

        def work(c: sqlite3.Connection) -> dict[str, Outcomes]:
            rows = c.execute(
                "SELECT workflow, COUNT(*), SUM(state='failed') FROM runs INDEXED BY runs_finished"
                " WHERE finished_at >= ? AND finished_at < ? GROUP BY workflow",
                (since, until),
            )
            return {workflow: Outcomes(n, int(failed or 0)) for workflow, n, failed in rows}

        return await self._store._run(work)

    async def first_finished(self, *, syncs: list[str], workflows: list[str]) -> dict[str, float]:
        """When each flow first finished anything (history before that is no history); flows that never
        did are left out. It only moves when the store is emptied, so callers may keep the answer."""

        def work(c: sqlite3.Connection) -> dict[str, float]:
            found: dict[str, float] = {}
            for sync in syncs:
                row = c.execute(
                    "SELECT finished_at FROM events INDEXED BY events_finished"
                    " WHERE finished_at IS NOT NULL AND sync=? ORDER BY finished_at LIMIT 1",
                    (sync,),
                ).fetchone()
                if row is not None:
                    found[sync] = row[0]
            for workflow in workflows:
                row = c.execute(
                    "SELECT finished_at FROM runs INDEXED BY runs_finished"
                    " WHERE finished_at IS NOT NULL AND workflow=? ORDER BY finished_at LIMIT 1",
                    (workflow,),
                ).fetchone()
                if row is not None:
                    found[workflow] = row[0]
            return found

        return await self._store._run(work)

    async def oldest_pending(self) -> dict[str, datetime]:
        """Per sync: when the oldest change still waiting (or in hand) was received."""

        def work(c: sqlite3.Connection) -> dict[str, datetime]:
            rows = c.execute(
                "SELECT sync, MIN(received_at) FROM events WHERE state IN ('pending', 'claimed') GROUP BY sync"
            )
            return {sync: datetime.fromtimestamp(at, UTC) for sync, at in rows if at is not None}

        return await self._store._run(work)

    async def held_runs(self) -> dict[str, Held]:
        """Per workflow: runs held for a person to decide."""

        def work(c: sqlite3.Connection) -> dict[str, Held]:
            rows = c.execute("SELECT workflow, COUNT(*), MIN(id) FROM runs WHERE state='held' GROUP BY workflow")
            return {workflow: Held(n, first) for workflow, n, first in rows}

        return await self._store._run(work)
