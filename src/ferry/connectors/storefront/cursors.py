"""Incremental reads over Shopify's `updated_at_min` and `Link`-header cursor paging.

A read is a *walk*: `GET {resource}.json?updated_at_min=T&limit=N`, then the `rel="next"` URL of
each page until there is none. Shopify pages by keyset (the token carries the sort key of the last
record shown), so records that change while we walk never shift a page boundary. But most lists are
ordered by id, not by change: a record with a low id that changes after we passed it will not show
up later in the walk. So the next walk must start no later than the moment this one began.

The shop's clock at the first page is its `Date` header. The next walk starts at
`min(Date of the first page, newest updated_at seen)`: both are at or before any change we could
have walked past. When it starts at the newest `updated_at` seen (older than `Date`), the ids seen
at exactly that second are skipped next time, since Shopify's `updated_at_min` is inclusive; when it
starts at `Date`, nothing is skipped, because a record may have changed twice in that second.
Orders can be listed by `updated_at`, and are: then paging follows the change order as well.

The cursor is JSON, opaque to the engine:

    {"v": 1, "since": "2025-03-01T10:30:00-05:00", "skip": ["7001"], "next": "https://...",
     "date": "...", "newest": "...", "at_newest": ["7003"]}

`since`/`skip` describe the walk in progress (or the next one), `next` is the page to read on from
(none: start a walk), and `date`/`newest`/`at_newest` gather what the walk in progress has seen.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from ferry.connectors.storefront.client import StorefrontClient, format_time, parse_time
from ferry.connectors.storefront.entities import RESOURCES, record_id, to_record
from ferry.core.errors import PermanentError
from ferry.core.records import Page, Record

#: Pages one `read` may walk past when every row on them was already returned.
MAX_PAGES_PER_READ = 20

Expand = Callable[[dict[str, Any], "StorefrontCursor"], list[Record]]


@dataclass(frozen=True, slots=True)
class StorefrontCursor:
    since: str | None = None
    skip: frozenset[str] = frozenset()
    next: str | None = None
    date: str | None = None
    newest: str | None = None
    at_newest: frozenset[str] = field(default_factory=frozenset)

    def encode(self) -> str:
        state = {
            "v": 1,
            "since": self.since,
            "skip": sorted(self.skip),
            "next": self.next,
            "date": self.date,
            "newest": self.newest,
            "at_newest": sorted(self.at_newest),
        }
        return json.dumps(state, separators=(",", ":"))

    @classmethod
    def decode(cls, text: str | None) -> StorefrontCursor:
        if text is None:
            return cls()
        try:
            state = json.loads(text)
            if not isinstance(state, dict) or state.get("v") != 1:
                raise ValueError(text)
            for name in ("since", "date", "newest"):
                if state.get(name) is not None and parse_time(state[name]) is None:
                    raise ValueError(name)
            cursor = cls(
                since=state.get("since"),
                skip=frozenset(str(i) for i in state.get("skip") or ()),
                next=state.get("next"),
                date=state.get("date"),
                newest=state.get("newest"),
                at_newest=frozenset(str(i) for i in state.get("at_newest") or ()),
            )
        except (ValueError, TypeError, AttributeError):
            raise PermanentError(
                "The storefront read cursor is not one this connector wrote; reset the sync's cursor "
                "to read from the start."
            ) from None
        return cursor

    def skips(self, entity: str, row: Mapping[str, Any]) -> bool:
        """Whether `row` was returned by the walk before, unchanged since (same id, at `since`)."""
        if not self.skip or self.since is None:
            return False
        return record_id(entity, row) in self.skip and _same(row.get("updated_at"), self.since)

    def saw(self, entity: str, rows: Sequence[Mapping[str, Any]], served_at: datetime | None) -> StorefrontCursor:
        """The walk's state once `rows` (one page) have been handed over."""
        date = self.date
        if date is None and served_at is not None:
            date = format_time(served_at)
        newest, at_newest = self.newest, set(self.at_newest)
        for row in rows:
            when = parse_time(row.get("updated_at"))
            if when is None:
                continue
            top = parse_time(newest)
            if top is None or when > top:
                newest, at_newest = str(row["updated_at"]), {record_id(entity, row)}
            elif when == top:
                at_newest.add(record_id(entity, row))
        return replace(self, date=date, newest=newest, at_newest=frozenset(at_newest))

    def finished(self) -> StorefrontCursor:
        """The cursor of the next walk, once this one has read its last page."""
        date, newest = parse_time(self.date), parse_time(self.newest)
        if newest is not None and (date is None or newest < date):
            if self.since is not None and _same(self.newest, self.since):
                skip = self.skip | self.at_newest  # the walk did not move on: keep skipping what it had
            else:
                skip = self.at_newest
            return StorefrontCursor(since=self.newest, skip=skip)
        if date is not None:
            return StorefrontCursor(since=self.date)
        return StorefrontCursor(since=self.since, skip=self.skip)


def list_params(entity: str, cursor: StorefrontCursor, page_size: int) -> dict[str, str]:
    resource = RESOURCES[entity if entity != "fulfillments" else "orders"]
    params = {**resource.list_params, "limit": str(page_size)}
    if cursor.since is not None:
        params["updated_at_min"] = cursor.since
    return params


async def read_changes(
    client: StorefrontClient,
    entity: str,
    cursor: StorefrontCursor,
    page_size: int,
    *,
    extra: Mapping[str, str] | None = None,
    expand: Expand | None = None,
) -> Page:
    """One page of records changed since `cursor`, and the cursor to resume from.

    `entity` names the list walked; `expand` turns one listed row into the records returned
    (fulfillments are read from the orders that carry them).
    """
    listed = "orders" if entity == "fulfillments" else entity
    resource = RESOURCES[listed]
    state = cursor
    for _ in range(MAX_PAGES_PER_READ):
        if state.next is not None:
            page = await client.list_page(f"{resource.path}.json", resource.plural, next_url=state.next)
        else:
            params = {**list_params(entity, state, page_size), **(extra or {})}
            page = await client.list_page(f"{resource.path}.json", resource.plural, params=params)
        fresh = [row for row in page.rows if not state.skips(listed, row)]
        state = state.saw(listed, page.rows, page.served_at)
        records: list[Record] = []
        for row in fresh:
            records += expand(row, cursor) if expand else [to_record(entity, row)]
        if page.next_url is None:
            return Page(records=records, cursor=state.finished().encode(), more=False)
        state = replace(state, next=page.next_url)
        if records:
            return Page(records=records, cursor=state.encode(), more=True)
    return Page(records=[], cursor=state.encode(), more=True)


def _same(a: object, b: object) -> bool:
    first, second = parse_time(a), parse_time(b)
    return first is not None and first == second
