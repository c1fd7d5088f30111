"""Look-ups by one field from many concurrent callers, sent to TIMS as one list request.

While the engine links records (an initial load, a burst of webhooks), every record asks "which
customer has ExternalID X?", then "... Email Y?". One request each costs TIMS a query per record;
TIMS matches any of a parameter's repeated values, so the look-ups that arrive within a couple of
milliseconds for the same entity and field go out as one request naming them all (up to `max_values`),
and each caller gets the rows whose field equals its value. A failure of that request reaches every
caller in it, as it would have reached each alone.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from ferry.connectors.tims.client import TimsClient, query_value

Key = tuple[str, str, bool]  # entity, field, include_inactive


class FindBatcher:
    def __init__(self, client: TimsClient, *, page_size: int, max_values: int = 50, window: float = 0.002) -> None:
        self.client = client
        self.page_size = page_size
        self.max_values = max_values
        self.window = window
        self._pending: dict[Key, list[tuple[Any, asyncio.Future[list[dict[str, Any]]]]]] = {}
        self._timers: dict[Key, asyncio.TimerHandle] = {}
        self.requests = 0

    async def find(self, entity: str, field: str, value: Any, *, include_inactive: bool) -> list[dict[str, Any]]:
        """Rows of `entity` whose `field` equals `value`."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[dict[str, Any]]] = loop.create_future()
        key = (entity, field, include_inactive)
        waiting = self._pending.setdefault(key, [])
        waiting.append((value, future))
        if len(waiting) >= self.max_values:
            self._flush(key)
        elif key not in self._timers:
            self._timers[key] = loop.call_later(self.window, self._flush, key)
        return await future

    def _flush(self, key: Key) -> None:
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()
        batch = self._pending.pop(key, [])
        if batch:
            asyncio.get_running_loop().create_task(self._send(key, batch))

    async def _send(self, key: Key, batch: Sequence[tuple[Any, asyncio.Future[list[dict[str, Any]]]]]) -> None:
        entity, field, include_inactive = key
        values = list(dict.fromkeys(query_value(v) for v, _ in batch))
        self.requests += 1
        rows: list[dict[str, Any]] = []
        try:
            page: int | None = 1
            while page is not None:
                listed = await self.client.list_page(
                    entity,
                    filters={field: values},
                    page=page,
                    page_size=self.page_size,
                    include_inactive=include_inactive,
                )
                rows += listed.rows
                page = listed.next_page
        except BaseException as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        by_value: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            by_value[query_value(row.get(field))].append(row)
        for value, future in batch:
            if not future.done():
                future.set_result(list(by_value.get(query_value(value), [])))
