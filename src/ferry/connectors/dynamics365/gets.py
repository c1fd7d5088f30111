"""Reads of single rows from many concurrent callers, sent to Dataverse as one query.

A burst of webhooks (or an initial load's matches) asks for one row each. Dataverse allows about 20
requests a second per user, so one GET per row caps ferry at that. The rows asked for within a couple
of milliseconds, for the same table and options, go out as one `$filter=accountid eq A or ...` query
(up to `max_ids`); each caller gets its row, or None (`core/coalesce.py`).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Hashable, Sequence

from ferry.core.coalesce import Coalescer
from ferry.core.records import Record

#: Reads the rows with these ids (lower-case GUIDs); the same for every get under one key.
Fetch = Callable[[Sequence[str]], Awaitable[list[Record]]]


def is_guid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


class GetBatcher:
    def __init__(self, *, max_ids: int, window: float = 0.002) -> None:
        self._gets: Coalescer[Hashable, tuple[str, Fetch], Record | None] = Coalescer(
            self._send, max_items=max_ids, window=window
        )

    async def get(self, key: Hashable, record_id: str, fetch: Fetch) -> Record | None:
        """The row `record_id`, fetched with the others asked for under `key` by `fetch(ids)`."""
        return await self._gets.submit(key, (record_id.lower(), fetch))

    @staticmethod
    async def _send(_: Hashable, asked: list[tuple[str, Fetch]]) -> list[Record | None]:
        fetch = asked[0][1]
        rows = await fetch(list(dict.fromkeys(record_id for record_id, _ in asked)))
        found = {row.id.lower(): row for row in rows}
        return [found.get(record_id) for record_id, _ in asked]
