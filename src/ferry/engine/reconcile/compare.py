"""Comparing a sync's two systems record by record: what is missing on either side, and what differs.

Both sides are read whole, page by page, through the connectors' `read` (as an initial load reads
them). Of each record only what the comparison needs is kept: its version and modified time, the
fields the other side's mapping writes into it, and, where the record flows, what the engine would
write to its twin (the processor's own mapping, so a difference is exactly what settling would send).
The pairs come from the store's links; records left over have no twin.

Which way a pair is compared follows the conflict policy (docs/reconciliation.md): the side that
flows in a one-way sync; the winner under `system_of_record`; under `newest_wins` the side a person
changed last (a side whose version is ferry's own write is a copy); under `review` both ways.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ferry.connectors.contract import Connector
from ferry.core.errors import FerryError
from ferry.core.records import Record
from ferry.core.redact import MASK, SENSITIVE, redact
from ferry.engine.fingerprint import changes
from ferry.engine.processor import Processor
from ferry.engine.spec import SyncSpec
from ferry.engine.store.base import SIDES, Link, Side, other
from ferry.engine.store.reconciliations import DriftItem, FieldDiff
from ferry.mapping.paths import split_path

#: Told how many records of a side have been read so far.
Progress = Callable[[Side, int], None]


@dataclass(slots=True)
class Seen:
    """What the comparison keeps of one record."""

    version: str | None
    modified_at: datetime | None
    #: The fields the other side's mapping writes, as this record holds them.
    held: dict[str, Any]
    #: What the engine would write to its twin (None when skipped, unmapped, or the side does not flow).
    desired: dict[str, Any] | None = None
    skipped: bool = False
    error: str | None = None


@dataclass(slots=True)
class Counts:
    left: int = 0
    right: int = 0
    pairs: int = 0
    missing_left: int = 0
    missing_right: int = 0
    different: int = 0
    orphan_link: int = 0
    #: Records the mapping skips (`skip_when`): they need no twin.
    skipped: int = 0
    #: Records whose mapping failed, so their pair could not be compared (the engine would dead-letter them).
    unmapped: int = 0

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


@dataclass
class Comparison:
    """One reconciliation's comparison of one sync; iterate `drift()`, then read `counts`."""

    spec: SyncSpec
    connectors: Mapping[str, Connector]
    processor: Processor
    page_size: int = 500
    progress: Progress | None = None
    #: Awaited after each page read (the report says it is alive, however long the systems take).
    beat: Callable[[], Awaitable[None]] | None = None
    counts: Counts = field(default_factory=Counts)
    #: A few of the mapping errors met, for the report.
    errors: list[str] = field(default_factory=list)

    async def drift(self) -> AsyncIterator[DriftItem]:
        """Read both sides, then yield every drift item (numbered from 1), pairs first, then leftovers."""
        reads = [asyncio.ensure_future(self._read(side)) for side in SIDES]
        try:
            left, right = await asyncio.gather(*reads)
        except BaseException:  # one side failed (or the comparison was cancelled): stop reading the other
            for read in reads:
                read.cancel()
            await asyncio.gather(*reads, return_exceptions=True)
            raise
        seen = {"left": left, "right": right}
        parked = {(d.side, d.record_id): d.error for d in await self.processor.store.dead_letters(sync=self.spec.name)}
        number = 0
        for link in await self.processor.store.links(self.spec.name):
            mine = {s: seen[s].pop(i, None) if (i := link.id_on(s)) else None for s in SIDES}
            if link.deleted:
                continue  # the engine deleted this pair's twin on purpose; what is left is not drift
            for item in self._pair(link, mine["left"], mine["right"]):
                number += 1
                yield dataclasses.replace(item, number=number)
        for side in SIDES:
            for record_id, record in seen[side].items():
                if record.skipped:
                    continue
                item = self._missing(side, record_id, None)
                if (error := parked.get((side, record_id))) is not None:
                    item = dataclasses.replace(item, note=f"{item.note}; in the dead-letter queue: {error}")
                number += 1
                yield dataclasses.replace(item, number=number)

    async def _read(self, side: Side) -> dict[str, Seen]:
        side_spec = self.spec.side(side)
        connector = self.connectors[side_spec.connection]
        incoming = self.spec.maps.get(other(side))
        written = _top_level(incoming.fields_written) if incoming is not None else frozenset()
        kept: dict[str, Seen] = {}
        cursor: str | None = None
        while True:
            page = await connector.read(side_spec.entity, cursor, page_size=self.page_size, **side_spec.options)
            for record in page.records:
                if record.deleted:
                    kept.pop(record.id, None)
                    continue
                kept[record.id] = await self._keep(side, record, written)
            setattr(self.counts, side, len(kept))
            if self.progress is not None:
                self.progress(side, len(kept))
            if self.beat is not None:
                await self.beat()
            cursor = page.cursor
            if not page.more:
                return kept

    async def _keep(self, side: Side, record: Record, written: frozenset[str]) -> Seen:
        if self.spec.maps.get(other(side)) is None:
            held: dict[str, Any] = {}  # nothing is written into this side: nothing of it is compared
        else:  # a mapping that names no fields may write any: keep them all
            held = {k: v for k, v in record.data.items() if k in written} if written else dict(record.data)
        seen = Seen(record.version, record.modified_at, held)
        if not self.spec.flows_from(side):
            return seen
        link = await self.processor.store.link(self.spec.name, side, record.id)
        twin = link.id_on(other(side)) if link is not None and not link.deleted else None
        try:
            seen.desired, reason = await self.processor.desired(self.spec, side, record, twin)
        except FerryError as exc:
            seen.error = exc.message
            return seen
        if reason is not None:
            seen.skipped = True
            self.counts.skipped += 1
        return seen

    def _pair(self, link: Link, left: Seen | None, right: Seen | None) -> list[DriftItem]:
        if left is None and right is None:
            self.counts.orphan_link += 1
            note = "both records of this link are gone (or outside the sync's filters)"
            return [DriftItem("orphan_link", link.left_id, link.right_id, None, note=note)]
        if left is None or right is None:
            present: Side = "left" if left is not None else "right"
            record = left or right
            assert record is not None
            gone = other(present)
            if record.skipped or (self.spec.deletes == "ignore" and self.spec.flows_from(gone)):
                return []  # it needs no twin, or the sync keeps it when its twin is deleted
            return [self._missing(present, link.id_on(present) or "", link.id_on(gone))]
        self.counts.pairs += 1
        items = []
        for source in self._authoritative(link, left, right):
            mine, theirs = (left, right) if source == "left" else (right, left)
            if mine.error is not None:
                self.counts.unmapped += 1
                if len(self.errors) < 20:
                    self.errors.append(f"{source} {link.id_on(source)}: {mine.error}")
                continue
            if mine.desired is None:
                continue  # skipped: the engine writes nothing for it
            comparable = {k: v for k, v in mine.desired.items() if k in theirs.held}
            delta = changes(comparable, theirs.held)
            if delta:
                self.counts.different += 1
                fields = tuple(_field_diffs(delta, theirs.held))
                items.append(DriftItem("different", link.left_id, link.right_id, source, fields))
        return items

    def _missing(self, present: Side, record_id: str, gone_id: str | None) -> DriftItem:
        """A record of `present` without a twin: none linked (`gone_id` None), or the one linked is gone."""
        gone = other(present)
        setattr(self.counts, f"missing_{gone}", getattr(self.counts, f"missing_{gone}") + 1)
        note = f"its twin {gone_id} no longer exists (or is outside the sync's filters)" if gone_id else "no twin"
        ids = {present: record_id, gone: gone_id}
        return DriftItem(f"missing_{gone}", ids["left"], ids["right"], present, note=note)  # type: ignore[arg-type]

    def _authoritative(self, link: Link, left: Seen, right: Seen) -> tuple[Side, ...]:
        flowing = tuple(s for s in SIDES if self.spec.flows_from(s))
        if len(flowing) == 1:
            return flowing
        policy = self.spec.conflicts
        if policy.policy == "system_of_record" and policy.winner is not None:
            return (policy.winner,)
        if policy.policy == "review":
            return SIDES
        # newest_wins: the side a person changed last. A side still at the version ferry wrote is a copy.
        copy_left = left.version is not None and left.version == link.left_written_version
        copy_right = right.version is not None and right.version == link.right_written_version
        if copy_left != copy_right:
            return ("right",) if copy_left else ("left",)
        if left.modified_at and right.modified_at and right.modified_at > left.modified_at:
            return ("right",)
        return ("left",)


def _field_diffs(delta: Mapping[str, Any], held: Mapping[str, Any], prefix: str = "") -> Iterator[FieldDiff]:
    """Each differing field, with a nested object's fields named by path (`primarycontactid.telephone1`)."""
    for name in sorted(delta):
        want, have = delta[name], held.get(name)
        if isinstance(want, Mapping) and isinstance(have, Mapping) and not SENSITIVE.search(name):
            yield from _field_diffs(changes(want, have), have, f"{prefix}{name}.")
        else:
            yield _field_diff(prefix + name, want, have)


def _field_diff(name: str, want: Any, have: Any) -> FieldDiff:
    if SENSITIVE.search(name):
        return FieldDiff(name, MASK if want is not None else None, MASK if have is not None else None)
    return FieldDiff(name, redact(want), redact(have))


def _top_level(paths: frozenset[str]) -> frozenset[str]:
    return frozenset(parts[0] for parts in map(split_path, paths) if parts)
