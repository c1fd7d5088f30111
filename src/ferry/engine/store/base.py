"""What the engine keeps, and the interface every back end (SQLite now, PostgreSQL later) serves.

An *event* is "record X on side S of sync Y changed" (from a webhook or a poll). Events for the same
record collapse into one *claim*: the worker fetches the record's current state once and settles every
event it holds. A *link* is the cross-reference between a record on the left and its twin on the right,
with what the engine last saw and wrote on each side (versions and payload hashes), which is what makes
echo suppression and "older never overwrites newer" possible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

Side = Literal["left", "right"]
SIDES: tuple[Side, Side] = ("left", "right")


def other(side: Side) -> Side:
    return "right" if side == "left" else "left"


@dataclass(frozen=True, slots=True)
class NewEvent:
    sync: str
    side: Side
    record_id: str
    kind: Literal["upsert", "delete"] = "upsert"
    version: str | None = None
    #: The record's data when the notification carried it (kept so a fetch can be skipped or audited).
    payload: dict[str, Any] | None = None
    #: What brought it: a webhook, a poll, an initial load, a replay, another record that needs it, a
    #: workflow step that settles it, a reconciliation healing drift, or a person's decision on a review.
    source: Literal["webhook", "poll", "initial", "replay", "dependency", "workflow", "reconcile", "review"] = "poll"
    #: The system's own event id, used to collapse redeliveries that carry no version.
    event_id: str | None = None
    occurred_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    sync: str
    side: Side
    record_id: str
    kind: Literal["upsert", "delete"]
    version: str | None
    payload: dict[str, Any] | None
    source: str
    received_at: datetime
    attempts: int
    #: When the change happened in its system (the record's modified time), if known.
    occurred_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    """Every pending event of one record, held by one worker until it finishes or its lease ends."""

    sync: str
    side: Side
    record_id: str
    events: tuple[Event, ...]
    worker: str

    @property
    def latest(self) -> Event:
        return self.events[-1]

    @property
    def attempts(self) -> int:
        return max(e.attempts for e in self.events)

    @property
    def deleted(self) -> bool:
        return self.latest.kind == "delete"


@dataclass(slots=True)
class Link:
    """The twin records of one sync, and the state the engine last saw and wrote on each side."""

    sync: str
    left_id: str | None
    right_id: str | None
    left_version: str | None = None
    right_version: str | None = None
    #: Hash of the payload ferry last wrote to that side (echo suppression).
    left_written: str | None = None
    right_written: str | None = None
    #: Version the side reported for ferry's own last write to it.
    left_written_version: str | None = None
    right_written_version: str | None = None
    left_modified_at: datetime | None = None
    right_modified_at: datetime | None = None
    deleted: bool = False
    updated_at: datetime | None = None

    def id_on(self, side: Side) -> str | None:
        return self.left_id if side == "left" else self.right_id


@dataclass(frozen=True, slots=True)
class AuditEntry:
    sync: str
    side: Side
    record_id: str
    action: str
    detail: dict[str, Any] = field(default_factory=dict)
    target_id: str | None = None
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    id: int
    sync: str
    side: Side
    record_id: str
    error_class: str
    error: str
    payload: dict[str, Any] | None
    attempts: int
    created_at: datetime
    state: Literal["open", "replayed", "dropped"] = "open"
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class SyncCounts:
    sync: str
    pending: int
    in_flight: int
    done: int
    dead: int
    reviews: int
    oldest_pending: datetime | None


RunState = Literal["pending", "running", "waiting", "held", "completed", "failed", "compensated", "cancelled"]
#: A run in one of these states will not move again by itself.
FINAL_RUN_STATES = frozenset({"completed", "failed", "compensated", "cancelled"})


@dataclass(frozen=True, slots=True)
class StepRecord:
    """What one step of a run did: `done`, `skipped`, `waiting`, `failed`, `continued` or `compensated`."""

    step: str
    state: str
    input: Any = None
    output: Any = None
    error: str | None = None
    attempts: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Run:
    """One run of a workflow, with the steps it has been through so far."""

    id: int
    workflow: str
    key: str
    trigger_id: str
    trigger: dict[str, Any] | None
    state: RunState
    due_at: datetime
    step: str | None
    attempts: int
    generation: int
    reason: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None
    steps: dict[str, StepRecord] = field(default_factory=dict)


class Store(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def enqueue(self, events: Sequence[NewEvent], *, cursor: tuple[str, Side, str | None] | None = None) -> int:
        """Persist events durably (when this returns they survive a crash); duplicates are ignored.

        With `cursor`, the read cursor of (sync, side) moves in the same transaction, so a crash can
        neither lose the events of a page nor read the page twice. Returns how many events were new.
        """
        ...

    async def claim(self, *, worker: str, limit: int, lease_seconds: float) -> list[Claim]:
        """Take up to `limit` records with due events; a record is held by at most one worker at a time."""
        ...

    async def finish(self, claim: Claim, *, link: Link | None, audit: Sequence[AuditEntry]) -> None:
        """Mark the claim's events done and save the link and audit entries, in one transaction."""
        ...

    async def retry(self, claim: Claim, *, delay: float, error: str) -> None:
        """Give the claim's events back, due again after `delay` seconds."""
        ...

    async def dead_letter(
        self,
        claim: Claim,
        *,
        error_class: str,
        error: str,
        payload: dict[str, Any] | None,
        audit: Sequence[AuditEntry] = (),
    ) -> int:
        """Park the record with its reason and payload; return the dead letter's id."""
        ...

    async def link(self, sync: str, side: Side, record_id: str) -> Link | None: ...

    async def get_cursor(self, sync: str, side: Side) -> str | None: ...

    async def set_cursor(self, sync: str, side: Side, cursor: str | None) -> None: ...
