"""Healing drift: for each item of a report, the event that makes the engine fix it through its normal path.

A record without its twin is upserted from the side that has it (the engine finds or creates the twin);
a pair that differs is upserted from its authoritative side (the engine writes the fields that differ,
whatever the versions say: see `_reconciling` in the processor). In a one-way sync a target record whose
source is gone is deleted through the source's delete, when the sync propagates deletes. A link to two
records that are both gone is forgotten. What the engine cannot do is said, item by item.

Each event's id names the report and the item, so healing the same report twice queues nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ferry.engine.spec import SyncSpec
from ferry.engine.store.base import NewEvent, Side, other
from ferry.engine.store.reconciliations import DriftItem
from ferry.engine.store.sqlite import SqliteStore

QUEUED, ALREADY, FORGOTTEN = "queued", "already queued", "forgotten"


@dataclass(frozen=True, slots=True)
class Remedy:
    """What healing one item takes: an event to queue, a link to forget, or why it cannot be done."""

    event: NewEvent | None = None
    forget: bool = False
    cannot: str | None = None


@dataclass
class HealSummary:
    queued: int = 0
    already_queued: int = 0
    forgotten: int = 0
    cannot_fix: int = 0
    #: Item number -> what was done with it.
    outcomes: dict[int, str] = field(default_factory=dict)

    def totals(self) -> dict[str, int]:
        return {
            "queued": self.queued,
            "already_queued": self.already_queued,
            "forgotten": self.forgotten,
            "cannot_fix": self.cannot_fix,
        }


def remedy(spec: SyncSpec, report: int, item: DriftItem) -> Remedy:
    """How the engine can fix `item` of report `report`, if it can."""
    event_id = f"reconcile:{report}:{item.number}"
    if item.kind == "orphan_link":
        return Remedy(forget=True)
    source = item.source
    assert source is not None
    record_id = item.left_id if source == "left" else item.right_id
    assert record_id is not None
    if item.kind == "different" and spec.conflicts.policy == "review" and spec.direction == "both":
        return Remedy(
            cannot="the sync's conflicts are decided by a person (policy: review): correct the record in the "
            "system that is wrong, and ferry carries the change over"
        )
    if spec.flows_from(source):
        return Remedy(NewEvent(spec.name, source, record_id, source="reconcile", event_id=event_id))
    gone = other(source)
    gone_id = item.left_id if gone == "left" else item.right_id
    if item.kind.startswith("missing") and gone_id is not None and spec.deletes == "propagate":
        # The source was deleted without ferry noticing: its delete, settled now, deletes this twin.
        return Remedy(NewEvent(spec.name, gone, gone_id, kind="delete", source="reconcile", event_id=event_id))
    return Remedy(
        cannot=f"sync '{spec.name}' does not write to the {gone} side from the {source} ({spec.direction}): "
        f"this {source} record has no source to come from; delete it there or link it by hand"
    )


async def heal(store: SqliteStore, spec: SyncSpec, report: int, items: list[DriftItem]) -> HealSummary:
    """Queue the remedy of each item (a page of the report) and say what became of each."""
    summary = HealSummary()
    for item in items:
        fix = remedy(spec, report, item)
        if fix.cannot is not None:
            summary.cannot_fix += 1
            summary.outcomes[item.number] = f"cannot fix: {fix.cannot}"
        elif fix.forget:
            summary.outcomes[item.number] = await _forget(store, spec, item)
            summary.forgotten += summary.outcomes[item.number] == FORGOTTEN
        elif fix.event is not None:
            added = await store.enqueue([fix.event])
            summary.queued += added
            summary.already_queued += 1 - added
            summary.outcomes[item.number] = QUEUED if added else ALREADY
    return summary


async def _forget(store: SqliteStore, spec: SyncSpec, item: DriftItem) -> str:
    side: Side = "left" if item.left_id else "right"
    record_id = item.left_id or item.right_id
    link = await store.link(spec.name, side, record_id) if record_id else None
    if link is None or link.deleted:
        return "already forgotten"
    link.deleted = True  # as the engine marks a pair whose twin it deleted: the link stays as history
    await store.save_link(link)
    return FORGOTTEN
