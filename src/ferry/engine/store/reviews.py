"""Conflicts held for a person (`review` policy) in the embedded store: listed, decided, dismissed.

A decision closes the review, queues the events that write the chosen values (each with its edit) and
records who chose what in the audit, in one transaction: a review is decided once, and a decision is
never recorded without the writes that carry it out.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from ferry.engine.edits import Edit
from ferry.engine.store.base import AuditEntry, NewEvent, Side
from ferry.engine.store.edits import queue_event
from ferry.engine.store.sqlite import SqliteStore, _audit, _blob, _dt, _unblob

ReviewState = Literal["open", "resolved", "dismissed"]
_COLUMNS = (
    "id, sync, side, record_id, reason, left_data, right_data, left_id, right_id, created_at, state, decided_at,"
    " decided_by, decision, mapped"
)


@dataclass(frozen=True, slots=True)
class Review:
    """Both records of a linked pair as they were when both had changed since the last sync."""

    id: int
    sync: str
    #: The side whose change found the conflict.
    side: Side
    record_id: str
    reason: str
    left: dict[str, Any] | None
    right: dict[str, Any] | None
    left_id: str | None
    right_id: str | None
    created_at: datetime
    state: ReviewState
    decided_at: datetime | None = None
    decided_by: str | None = None
    #: What was decided: the choices and values, or the reason for dismissing it.
    decision: dict[str, Any] | None = None
    #: {"side": ..., "payload": ...}: that side's record as the engine mapped it when holding the review.
    mapped: dict[str, Any] | None = None


def _review(r: Sequence[Any]) -> Review:
    return Review(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        _unblob(r[5]),
        _unblob(r[6]),
        r[7],
        r[8],
        _dt(r[9]) or datetime.now(UTC),
        r[10],
        _dt(r[11]),
        r[12],
        _unblob(r[13]),
        _unblob(r[14]),
    )


class ReviewDesk:
    """Reviews over the store's writer."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    async def list(
        self, *, sync: str | None = None, state: ReviewState = "open", limit: int = 500, offset: int = 0
    ) -> list[Review]:
        """Reviews in `state`, oldest first."""

        def work(c: sqlite3.Connection) -> list[Review]:
            sql, args = f"SELECT {_COLUMNS} FROM reviews WHERE state=?", [str(state)]
            if sync:
                sql += " AND sync=?"
                args.append(sync)
            rows = c.execute(sql + " ORDER BY id LIMIT ? OFFSET ?", (*args, limit, offset))
            return [_review(r) for r in rows]

        return await self._store._run(work)

    async def get(self, review_id: int) -> Review | None:
        def work(c: sqlite3.Connection) -> Review | None:
            row = c.execute(f"SELECT {_COLUMNS} FROM reviews WHERE id=?", (review_id,)).fetchone()
            return _review(row) if row else None

        return await self._store._run(work)

    async def note_mapped(self, review_id: int, side: Side, payload: dict[str, Any]) -> None:
        """Keep `side`'s record as the engine mapped it (twins resolved), for the comparison."""
        mapped = _blob({"side": side, "payload": payload})
        await self._store._run(lambda c: c.execute("UPDATE reviews SET mapped=? WHERE id=?", (mapped, review_id)))

    async def resolve(
        self, review_id: int, *, by: str, decision: dict[str, Any], writes: Sequence[tuple[NewEvent, Edit]]
    ) -> bool:
        """Close an open review as decided and queue `writes`; False if it was decided already."""
        return await self._close(review_id, "resolved", by, decision, writes)

    async def dismiss(self, review_id: int, *, by: str, reason: str) -> bool:
        """Close an open review without writing anything (the pair stays as it is); False if decided already."""
        return await self._close(review_id, "dismissed", by, {"reason": reason}, ())

    async def _close(
        self,
        review_id: int,
        state: ReviewState,
        by: str,
        decision: dict[str, Any],
        writes: Sequence[tuple[NewEvent, Edit]],
    ) -> bool:
        now = self._store.clock()

        def work(c: sqlite3.Connection) -> bool:
            cur = c.execute(
                "UPDATE reviews SET state=?, decided_at=?, decided_by=?, decision=? WHERE id=? AND state='open'"
                " RETURNING sync, left_id, right_id",
                (state, now, by, _blob(decision), review_id),
            )
            row = cur.fetchone()
            if row is None:
                return False
            sync, left_id, right_id = row
            for event, edit in writes:
                queue_event(c, event, edit, f"review\x1f{review_id}\x1f{event.side}", now)
            action = "review-resolved" if state == "resolved" else "review-dismissed"
            detail = {"review": review_id, "by": by, **decision}
            _audit(c, [AuditEntry(sync, "left", left_id or "", action, detail, right_id)], now)
            return True

        return await self._store._run(work)
