"""Incremental reads over TIMS's `modifiedSince` and offset paging, without losing or repeating a record.

TIMS lists records ordered by `ModifiedAt`, then id, and pages by offset. `modifiedSince` is
inclusive (records at or after it). Walking `page=1, 2, 3...` of one query is unsafe: a record that
changes while we page moves to the end, and every later record shifts one place towards the front,
so one of them slips into a page already read and is never returned.

So every page is a fresh query from the last `ModifiedAt` returned, and the cursor is that time plus
the ids already returned *at exactly that time*:

    {"v": 1, "modifiedAt": "2026-11-22T08:15:30.250Z", "seen": ["10007", "10012"]}

Records at that time with those ids are skipped; everything else at or after it is new. Usually only
a few records share a millisecond, and page 1 of the new query is all that is needed. When more
records share it than fit on a page (a bulk change stamped in one transaction), the read has to step
into the group by offset, and the offset is checked: the page must begin with a record already seen
(an overlap), or follow a page that held nothing new. If it does not, records at that time have
changed since they were read and the group has shifted towards the front, so the read steps back a
page. Offset 0 needs no check. Nothing is lost, and a record is returned again only when it changed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ferry.connectors.tims.client import MAX_PAGE_SIZE, TimsClient, parse_time
from ferry.connectors.tims.entities import record_id, to_record
from ferry.core.errors import PermanentError
from ferry.core.records import Page

log = logging.getLogger("ferry.connectors.tims")

#: Requests one `read` may spend stepping through a group of records that share one `ModifiedAt`.
MAX_REQUESTS_PER_READ = 20


@dataclass(frozen=True, slots=True)
class TimsCursor:
    """Where an incremental read resumes: the last `ModifiedAt` returned and the ids returned at it."""

    modified_at: str
    seen: frozenset[str]

    def encode(self) -> str:
        return json.dumps({"v": 1, "modifiedAt": self.modified_at, "seen": sorted(self.seen)}, separators=(",", ":"))

    @classmethod
    def decode(cls, text: str | None) -> TimsCursor | None:
        if text is None:
            return None
        try:
            state = json.loads(text)
            since, seen = state["modifiedAt"], state["seen"]
            if state.get("v") != 1 or parse_time(since) is None or not all(isinstance(i, str) for i in seen):
                raise ValueError(text)
        except (ValueError, TypeError, KeyError, AttributeError):
            raise PermanentError(
                "The TIMS read cursor is not one this connector wrote; reset the sync's cursor to read from the start."
            ) from None
        return cls(since, frozenset(seen))

    @property
    def time(self) -> datetime | None:
        return parse_time(self.modified_at)

    def has_seen(self, entity: str, row: Mapping[str, Any]) -> bool:
        return parse_time(row.get("ModifiedAt")) == self.time and record_id(entity, row) in self.seen

    def after(self, entity: str, rows: Sequence[Mapping[str, Any]]) -> TimsCursor:
        """The cursor once `rows` (one page, in TIMS's order) have been handed over."""
        last = rows[-1]
        when = parse_time(last.get("ModifiedAt"))
        at_last = {record_id(entity, row) for row in rows if parse_time(row.get("ModifiedAt")) == when}
        if when == self.time:
            return TimsCursor(self.modified_at, self.seen | at_last)
        return TimsCursor(str(last.get("ModifiedAt")), frozenset(at_last))


def window(seen: int, page_size: int) -> tuple[int, int]:
    """`(page, pageSize)` for reading on from `seen` records, with an overlap of at least one.

    With offset paging the offset is `(page - 1) * pageSize`. It must be below `seen`, so that the
    page starts on a record already seen (which proves nothing shifted past it), and the page must
    end beyond `seen`, so that it can hold something new. Of the sizes up to `page_size`, the one
    that returns the most new records wins; a larger size only when none of those fits.
    """
    page_size = min(max(page_size, 1), MAX_PAGE_SIZE)
    if seen == 0:
        return 1, page_size
    fits = [(size, (seen - 1) // size * size) for size in range(max(page_size, 2), 1, -1)]
    fits = [(size, offset) for size, offset in fits if offset + size > seen]
    if not fits:  # every smaller size divides `seen`: take the next larger one that does not
        size = next(z for z in range(page_size + 1, MAX_PAGE_SIZE + 1) if seen % z)
        fits = [(size, (seen - 1) // size * size)]
    size, offset = max(fits, key=lambda fit: fit[1] + fit[0] - seen)  # the first of equals: the largest
    return offset // size + 1, size


async def read_changes(
    client: TimsClient,
    entity: str,
    cursor: TimsCursor | None,
    page_size: int,
    match: Mapping[str, Any] | None = None,
) -> Page:
    """One page of records changed since `cursor` (every record when None), oldest change first."""
    since = cursor.modified_at if cursor else None
    page, size = window(len(cursor.seen) if cursor else 0, page_size)
    follows_seen_page = False
    for _ in range(MAX_REQUESTS_PER_READ):
        listed = await client.list_page(
            entity, modified_since=since, page=page, page_size=size, include_inactive=True, filters=match
        )
        rows = listed.rows
        old = [cursor is not None and cursor.has_seen(entity, row) for row in rows]
        if page > 1 and not follows_seen_page and not (rows and old[0]):
            # Records at the cursor's time changed after we read them and the rest moved up past
            # this offset: step back until the page overlaps what we have seen.
            page -= 1
            continue
        fresh = [row for row, seen in zip(rows, old, strict=True) if not seen]
        if fresh or listed.next_page is None:
            moved = cursor.after(entity, rows) if cursor and rows else _start(entity, rows) or cursor
            return Page(
                records=[to_record(entity, row) for row in fresh],
                cursor=moved.encode() if moved else None,
                more=listed.next_page is not None,
            )
        follows_seen_page = True
        page += 1
    log.warning("TIMS %s: records at %s kept moving while paging; will resume from the same cursor", entity, since)
    return Page(records=[], cursor=cursor.encode() if cursor else None, more=False)


def _start(entity: str, rows: Sequence[Mapping[str, Any]]) -> TimsCursor | None:
    if not rows:
        return None
    return TimsCursor("", frozenset()).after(entity, rows)
