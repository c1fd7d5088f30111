"""Fixing dead letters in the embedded store: grouped by cause, replayed (with a person's edit), dropped.

A replay queues a new event for the record in the same transaction that closes the letter, so a letter
is never both open and queued, nor closed and lost. An edit rides on that event (`store/edits.py`); a
plain replay carries forward the edit of the event that died (a review's decision that failed to write,
replayed after the cause is fixed, still writes what the person chose).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from ferry.engine.causes import cause
from ferry.engine.edits import Edit
from ferry.engine.store.base import AuditEntry, DeadLetter, NewEvent
from ferry.engine.store.edits import dead_event, queue_event
from ferry.engine.store.sqlite import _DLQ_COLUMNS, SqliteStore, _audit, _dead

#: How many letter ids a group lists (the count says how many there are).
GROUP_IDS = 100
_LIGHT_COLUMNS = (
    "SELECT id, sync, side, record_id, error_class, error, attempts, created_at, state, reason"
    " FROM dead_letters WHERE state='open'"
)
Outcome = Literal["replayed", "dropped", "already replayed", "already dropped", "not found"]


@dataclass(frozen=True, slots=True)
class CauseGroup:
    """Open dead letters of one sync that failed for the same reason."""

    sync: str
    error_class: str
    cause: str
    count: int
    letter_ids: tuple[int, ...]
    first_at: datetime
    last_at: datetime


def group(letters: Sequence[DeadLetter]) -> list[CauseGroup]:
    """Letters grouped by (sync, error class, cause), the largest group first."""
    found: dict[tuple[str, str, str], list[DeadLetter]] = {}
    for letter in letters:
        key = (letter.sync, letter.error_class, cause(letter.error, letter.record_id))
        found.setdefault(key, []).append(letter)
    groups = [
        CauseGroup(
            sync,
            error_class,
            text,
            len(members),
            tuple(m.id for m in members[:GROUP_IDS]),
            min(m.created_at for m in members),
            max(m.created_at for m in members),
        )
        for (sync, error_class, text), members in found.items()
    ]
    return sorted(groups, key=lambda g: (-g.count, g.sync, g.cause))


class DeadLetterFixes:
    """The dead-letter queue's fixing side, over the store's writer."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    async def groups(self, *, sync: str | None = None) -> list[CauseGroup]:
        return group(await self._open(sync))

    async def in_group(self, sync: str, text: str, error_class: str | None = None) -> list[DeadLetter]:
        """The open letters of `sync` whose cause is `text` (and whose class is `error_class`, if given)."""
        return [
            letter
            for letter in await self._open(sync)
            if cause(letter.error, letter.record_id) == text and error_class in (None, letter.error_class)
        ]

    async def _open(self, sync: str | None) -> list[DeadLetter]:
        """Open letters without their payloads (grouping reads only the errors; there may be many)."""

        def work(c: sqlite3.Connection) -> list[DeadLetter]:
            sql, args = _LIGHT_COLUMNS, [] if sync is None else [sync]
            rows = c.execute(sql + (" AND sync=?" if sync is not None else "") + " ORDER BY id", args)
            return [_dead((*r[:6], None, *r[6:])) for r in rows]

        return await self._store._run(work)

    async def replay(self, letter_id: int, *, by: str, edit: Edit | None = None) -> Outcome:
        """Queue the letter's record again, carrying `edit` (or the edit the failed event carried)."""
        now = self._store.clock()

        def work(c: sqlite3.Connection) -> Outcome:
            letter = _get(c, letter_id)
            if letter is None or letter.state != "open":
                return _closed(letter)
            version, carried = dead_event(c, letter_id)
            chosen = edit or carried
            c.execute(
                "UPDATE dead_letters SET state='replayed', resolved_at=? WHERE id=? AND state='open'", (now, letter_id)
            )
            event = NewEvent(
                letter.sync,
                letter.side,
                letter.record_id,
                # An edited record is the version that failed, edited: an older one never overwrites newer.
                version=version if chosen is not None and chosen.record is not None else None,
                payload=chosen.record if chosen is not None else None,
                source="replay",
            )
            queue_event(c, event, chosen, f"replay\x1f{letter_id}", now)
            detail = {"dead_letter": letter_id, "by": by}
            if edit is not None:
                detail["edit"] = edit.audit()
            _audit(c, [AuditEntry(letter.sync, letter.side, letter.record_id, "dead-letter-replayed", detail)], now)
            return "replayed"

        return await self._store._run(work)

    async def drop(self, letter_id: int, *, by: str, reason: str) -> Outcome:
        now = self._store.clock()

        def work(c: sqlite3.Connection) -> Outcome:
            letter = _get(c, letter_id)
            if letter is None or letter.state != "open":
                return _closed(letter)
            c.execute(
                "UPDATE dead_letters SET state='dropped', reason=?, resolved_at=? WHERE id=? AND state='open'",
                (reason, now, letter_id),
            )
            detail = {"dead_letter": letter_id, "by": by, "reason": reason}
            _audit(c, [AuditEntry(letter.sync, letter.side, letter.record_id, "dead-letter-dropped", detail)], now)
            return "dropped"

        return await self._store._run(work)


def _get(c: sqlite3.Connection, letter_id: int) -> DeadLetter | None:
    row = c.execute(f"SELECT {_DLQ_COLUMNS} FROM dead_letters WHERE id=?", (letter_id,)).fetchone()
    return _dead(row) if row else None


def _closed(letter: DeadLetter | None) -> Outcome:
    if letter is None:
        return "not found"
    return "already replayed" if letter.state == "replayed" else "already dropped"
