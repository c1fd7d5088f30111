"""Look-ups by one field from many concurrent callers, sent to TIMS as one list request.

While the engine links records (an initial load, a burst of webhooks), every record asks "which
customer has ExternalID X?", then "... Email Y?". One request each costs TIMS a query per record;
TIMS matches any of a parameter's repeated values, so the look-ups that arrive within a couple of
milliseconds for the same entity and field go out as one request naming them all (up to `max_values`),
and each caller gets the rows whose field equals its value (`core/coalesce.py`).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ferry.connectors.tims.client import TimsClient, query_value
from ferry.core.coalesce import Coalescer

Key = tuple[str, str, bool]  # entity, field, include_inactive
Rows = list[dict[str, Any]]


class FindBatcher:
    def __init__(self, client: TimsClient, *, page_size: int, max_values: int = 50, window: float = 0.002) -> None:
        self.client = client
        self.page_size = page_size
        self._finds: Coalescer[Key, Any, Rows] = Coalescer(self._send, max_items=max_values, window=window)

    async def find(self, entity: str, field: str, value: Any, *, include_inactive: bool) -> Rows:
        """Rows of `entity` whose `field` equals `value`."""
        return await self._finds.submit((entity, field, include_inactive), value)

    async def _send(self, key: Key, values: list[Any]) -> list[Rows]:
        entity, field, include_inactive = key
        rows: Rows = []
        page: int | None = 1
        while page is not None:
            listed = await self.client.list_page(
                entity,
                filters={field: list(dict.fromkeys(query_value(v) for v in values))},
                page=page,
                page_size=self.page_size,
                include_inactive=include_inactive,
            )
            rows += listed.rows
            page = listed.next_page
        by_value: dict[str, Rows] = defaultdict(list)
        for row in rows:
            by_value[query_value(row.get(field))].append(row)
        return [list(by_value.get(query_value(v), [])) for v in values]
