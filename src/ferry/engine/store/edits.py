"""Events that carry a person's fix (`engine/edits.py`): queued with it, and read back when claimed."""

from __future__ import annotations

import sqlite3
import time
from typing import TYPE_CHECKING, Any, cast

from ferry.core import jsoncodec
from ferry.engine.edits import Edit
from ferry.engine.store.base import Claim, NewEvent

if TYPE_CHECKING:
    from ferry.engine.store.sqlite import SqliteStore

#: Sources whose events may carry an edit; others are never looked up.
EDITED_SOURCES = frozenset({"replay", "review"})


async def edits_of(store: SqliteStore, claim: Claim) -> dict[int, Edit]:
    """The edits carried by the claim's events, by event id."""
    ids = [e.id for e in claim.events if e.source in EDITED_SOURCES]
    if not ids:
        return {}

    def work(c: sqlite3.Connection) -> dict[int, Edit]:
        marks = ",".join("?" * len(ids))
        rows = c.execute(f"SELECT id, edit FROM events WHERE id IN ({marks}) AND edit IS NOT NULL", ids)
        return {int(r[0]): Edit.from_json(jsoncodec.loads(r[1])) for r in rows}

    return store._read(work)


def queue_event(c: sqlite3.Connection, event: NewEvent, edit: Edit | None, key: str, now: float) -> None:
    """Insert one event (with its edit) in the caller's transaction; `key` makes it unique."""
    c.execute(
        "INSERT INTO events(sync, side, record_id, kind, version, payload, source, event_key, received_at, due_at,"
        " occurred_at, edit) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            event.sync,
            event.side,
            event.record_id,
            event.kind,
            event.version,
            jsoncodec.dumps(event.payload) if event.payload is not None else None,
            event.source,
            f"{key}\x1f{time.time_ns()}",
            now,
            now,
            event.occurred_at.timestamp() if event.occurred_at is not None else None,
            jsoncodec.dumps(edit.to_json()) if edit is not None else None,
        ),
    )


def dead_event(c: sqlite3.Connection, letter_id: int) -> tuple[str | None, Edit | None]:
    """The version and edit of the newest event that died with the letter (its events end as it is made)."""
    row = c.execute(
        "SELECT e.version, e.edit FROM dead_letters d JOIN events e ON e.sync=d.sync AND e.side=d.side"
        " AND e.record_id=d.record_id AND e.finished_at=d.created_at AND e.state='dead'"
        " WHERE d.id=? ORDER BY e.id DESC LIMIT 1",
        (letter_id,),
    ).fetchone()
    if row is None:
        return None, None
    edit = Edit.from_json(cast(dict[str, Any], jsoncodec.loads(row[1]))) if row[1] is not None else None
    return row[0], edit
