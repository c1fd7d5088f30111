"""Alerts in the embedded store: at most one firing alert per (rule, subject), and every notification sent.

An alert opens when its rule's condition starts to hold for a subject (a sync, a workflow, a connection),
stays firing (its message and last-seen time kept current) while it holds, and is resolved when it clears;
the next time the condition holds opens a new alert. Deliveries record each channel's outcome.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from ferry.engine.store.sqlite import SqliteStore

AlertState = Literal["firing", "resolved"]
Outcome = Literal["sending", "delivered", "failed"]
_COLUMNS = (
    "id, rule, kind, subject, severity, state, message, link, first_seen, last_seen, notified_at, resolved_at,"
    " acknowledged_by, acknowledged_at"
)


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    alert_id: int
    channel: str
    #: What was sent: `firing`, `repeat` or `resolved`.
    event: str
    outcome: Outcome
    attempts: int
    error: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class Alert:
    id: int
    rule: str
    kind: str
    subject: str
    severity: str
    state: AlertState
    message: str
    #: Path of the console page that shows the cause (`/dead-letters?sync=customers`).
    link: str | None
    first_seen: datetime
    last_seen: datetime
    notified_at: datetime | None
    resolved_at: datetime | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    deliveries: tuple[Delivery, ...] = field(default=())


def _dt(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


def _when(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def _alert(r: Sequence[Any], deliveries: tuple[Delivery, ...] = ()) -> Alert:
    return Alert(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        r[5],
        r[6],
        r[7],
        _when(r[8]),
        _when(r[9]),
        _dt(r[10]),
        _dt(r[11]),
        r[12],
        _dt(r[13]),
        deliveries,
    )


def _deliveries(c: sqlite3.Connection, alert_id: int) -> tuple[Delivery, ...]:
    rows = c.execute(
        "SELECT id, alert_id, channel, event, outcome, attempts, error, at FROM alert_deliveries"
        " WHERE alert_id=? ORDER BY id",
        (alert_id,),
    )
    return tuple(Delivery(r[0], r[1], r[2], r[3], r[4], r[5], r[6], _when(r[7])) for r in rows)


class AlertStore:
    """The alerts of one project (`store.alerts`)."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    async def firing(self) -> list[Alert]:
        def work(c: sqlite3.Connection) -> list[Alert]:
            return [_alert(r) for r in c.execute(f"SELECT {_COLUMNS} FROM alerts WHERE state='firing' ORDER BY id")]

        return await self._store._run(work)

    async def open(
        self, *, rule: str, kind: str, subject: str, severity: str, message: str, link: str | None
    ) -> tuple[Alert, bool]:
        """Start a firing alert for (rule, subject), or find the one already firing; and whether it is new."""
        now = self._store.clock()

        def work(c: sqlite3.Connection) -> tuple[Alert, bool]:
            cur = c.execute(
                "INSERT OR IGNORE INTO alerts(rule, kind, subject, severity, message, link, first_seen, last_seen)"
                " VALUES (?,?,?,?,?,?,?,?)",
                (rule, kind, subject, severity, message, link, now, now),
            )
            row = c.execute(
                f"SELECT {_COLUMNS} FROM alerts WHERE rule=? AND subject=? AND state='firing'", (rule, subject)
            ).fetchone()
            return _alert(row), cur.rowcount == 1

        return await self._store._run(work)

    async def seen(self, alert_id: int, *, message: str, severity: str, link: str | None) -> None:
        """The condition still holds: keep the alert's message current."""
        now = self._store.clock()
        await self._store._run(
            lambda c: c.execute(
                "UPDATE alerts SET message=?, severity=?, link=?, last_seen=? WHERE id=? AND state='firing'",
                (message, severity, link, now, alert_id),
            )
        )

    async def notified(self, alert_id: int) -> None:
        now = self._store.clock()
        await self._store._run(lambda c: c.execute("UPDATE alerts SET notified_at=? WHERE id=?", (now, alert_id)))

    async def resolve(self, alert_id: int, *, message: str) -> Alert | None:
        """The condition cleared; None if the alert was not firing."""
        now = self._store.clock()

        def work(c: sqlite3.Connection) -> Alert | None:
            row = c.execute(
                "UPDATE alerts SET state='resolved', message=?, resolved_at=?, last_seen=? WHERE id=?"
                f" AND state='firing' RETURNING {_COLUMNS}",
                (message, now, now, alert_id),
            ).fetchone()
            return _alert(row) if row else None

        return await self._store._run(work)

    async def acknowledge(self, alert_id: int, who: str) -> Alert | None:
        """A person has seen it (kept with the alert: who and when); None if there is no such alert."""
        now = self._store.clock()

        def work(c: sqlite3.Connection) -> Alert | None:
            c.execute(
                "UPDATE alerts SET acknowledged_by=?, acknowledged_at=? WHERE id=?",
                (who, now, alert_id),
            )
            row = c.execute(f"SELECT {_COLUMNS} FROM alerts WHERE id=?", (alert_id,)).fetchone()
            return _alert(row, _deliveries(c, alert_id)) if row else None

        return await self._store._run(work)

    async def get(self, alert_id: int) -> Alert | None:
        def work(c: sqlite3.Connection) -> Alert | None:
            row = c.execute(f"SELECT {_COLUMNS} FROM alerts WHERE id=?", (alert_id,)).fetchone()
            return _alert(row, _deliveries(c, alert_id)) if row else None

        return await self._store._run(work)

    async def list(
        self, *, state: AlertState | None = None, rule: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[Alert]:
        """Alerts, newest first, each with its deliveries."""

        def work(c: sqlite3.Connection) -> list[Alert]:
            sql, args = f"SELECT {_COLUMNS} FROM alerts WHERE 1=1", list[str]()
            if state:
                sql, args = sql + " AND state=?", [*args, state]
            if rule:
                sql, args = sql + " AND rule=?", [*args, rule]
            rows = c.execute(sql + " ORDER BY id DESC LIMIT ? OFFSET ?", (*args, limit, offset)).fetchall()
            return [_alert(r, _deliveries(c, r[0])) for r in rows]

        return await self._store._run(work)

    async def delivering(self, alert_id: int, channel: str, event: str) -> int:
        """Note that a notification is on its way; returns the delivery's id."""
        now = self._store.clock()

        def work(c: sqlite3.Connection) -> int:
            cur = c.execute(
                "INSERT INTO alert_deliveries(alert_id, channel, event, outcome, at) VALUES (?,?,?,'sending',?)",
                (alert_id, channel, event, now),
            )
            return int(cur.lastrowid or 0)

        return await self._store._run(work)

    async def delivered(self, delivery_id: int, *, outcome: Outcome, attempts: int, error: str | None) -> None:
        now = self._store.clock()
        await self._store._run(
            lambda c: c.execute(
                "UPDATE alert_deliveries SET outcome=?, attempts=?, error=?, at=? WHERE id=?",
                (outcome, attempts, error[:2000] if error else None, now, delivery_id),
            )
        )
