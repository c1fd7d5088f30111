"""The lineage of a record: one timeline of everything ferry knows about it, oldest first.

Each change noticed (inbox events, with their source, state, attempts and last error), each write it
caused in the other system or received from it (with before and after values, sensitive fields masked),
dead letters and how they were resolved, reviews, and the workflow runs it started or that settled it.
The twin in the other system is named with a link to its own lineage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from ferry.core.redact import redact
from ferry.engine.store.base import Side, other
from ferry.engine.store.search import IndexedRecord
from ferry.engine.store.sqlite import SqliteStore
from ferry.engine.store.trail import Trail, record_trail

#: Audit actions that changed a record in a system (the others say why nothing was written).
WRITES = frozenset({"created", "updated", "deleted"})


@dataclass(frozen=True, slots=True)
class RecordRef:
    """One record of a sync's side, with where to see its lineage."""

    sync: str
    side: Side
    record_id: str
    connection: str | None
    entity: str | None
    label: str
    last_seen: datetime | None
    lineage_url: str
    console_url: str


@dataclass(frozen=True, slots=True)
class Moment:
    """One entry of a timeline."""

    at: datetime | None
    #: event, write, audit, dead-letter, dead-letter-resolved, review, review-decided, run, run-ended, run-step
    kind: str
    summary: str
    side: Side
    record_id: str
    detail: dict[str, Any] = field(default_factory=dict)
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Lineage:
    record: RecordRef
    twin: RecordRef | None
    deleted: bool
    timeline: list[Moment]
    #: Older events or writes were left out: the record has more than `trail.MAX_ROWS` of them.
    truncated: bool = False


def ref(sync: str, side: Side, record_id: str, entry: IndexedRecord | None) -> RecordRef:
    path = f"{quote(sync, safe='')}/{side}/{quote(record_id, safe='/')}"
    return RecordRef(
        sync,
        side,
        record_id,
        entry.connection if entry else None,
        entry.entity if entry else None,
        entry.label if entry else record_id,
        entry.last_seen if entry else None,
        f"/api/lineage/{path}",
        f"/records/{path}",
    )


def _where(r: RecordRef | None, side: Side) -> str:
    if r is None or r.connection is None:
        return f"the {side} system"
    return f"{r.connection} {r.entity}"


def _events(trail: Trail) -> list[Moment]:
    moments = []
    for e in trail.events:
        error = f"; last error: {e['last_error']}" if e["last_error"] else ""
        # A replay that carried a person's edit of the record (a fixed dead letter, a decided review).
        edited = " (edited by a person)" if e["edited"] else ""
        moments.append(
            Moment(
                e["received_at"],
                "event",
                f"{e['kind']} noticed by {e['source']}{edited}: {e['state']} after {e['attempts']} attempt(s){error}",
                trail.side,
                trail.record_id,
                {k: e[k] for k in ("id", "source", "kind", "version", "state", "attempts", "last_error")}
                | {"edited": bool(e["edited"]), "occurred_at": e["occurred_at"], "finished_at": e["finished_at"]},
            )
        )
    return moments


def _audit(trail: Trail, twin: RecordRef | None) -> list[Moment]:
    moments = []
    for a in trail.audit:
        detail: dict[str, Any] = redact(a["detail"])
        outgoing = a["side"] == trail.side and a["record_id"] == trail.record_id
        action = a["action"]
        if action == "dead-lettered":
            continue  # the dead letter itself says it, with its id and resolution
        if outgoing:
            target = _where(twin, other(trail.side))
            twin_id = a["target_id"] or ""
            summary = f"created in {target} as {twin_id}" if action == "created" else f"{action} {target} {twin_id}"
        else:
            summary = f"{action} here from {_where(twin, a['side'])} record {a['record_id']}"
        if action not in WRITES:
            summary = f"{action}" + (f": {detail['note']}" if detail.get("note") else "")
            summary += f" by {detail['by']}" if detail.get("by") else ""
        changes = detail.get("changes")
        if isinstance(changes, dict) and changes:
            summary += f" ({', '.join(sorted(changes))})"
        moments.append(
            Moment(
                a["at"],
                "write" if action in WRITES else "audit",
                summary,
                a["side"],
                a["record_id"],
                {
                    "action": action,
                    "direction": "to the twin" if outgoing else "from the twin",
                    "target_id": a["target_id"],
                    "before": detail.get("before"),
                    "after": changes,
                    **{k: v for k, v in detail.items() if k not in ("before", "changes")},
                },
            )
        )
    return moments


def _letters_and_reviews(trail: Trail) -> list[Moment]:
    moments = []
    for d in trail.dead_letters:
        url = f"/dead-letters/{d['id']}"
        moments.append(
            Moment(
                d["created_at"],
                "dead-letter",
                f"dead-lettered after {d['attempts']} attempt(s): {d['error_class']}: {d['error']}",
                trail.side,
                trail.record_id,
                {k: d[k] for k in ("id", "error_class", "error", "attempts", "state")},
                url,
            )
        )
        if d["state"] != "open":
            reason = f": {d['reason']}" if d["reason"] else ""
            moments.append(
                Moment(
                    d["resolved_at"],
                    "dead-letter-resolved",
                    f"dead letter {d['id']} {d['state']}{reason}",
                    trail.side,
                    trail.record_id,
                    {"id": d["id"], "state": d["state"], "reason": d["reason"]},
                    url,
                )
            )
    for r in trail.reviews:
        url = f"/reviews/{r['id']}"
        detail = {"id": r["id"], "state": r["state"], "reason": r["reason"], "decided_by": r["decided_by"]}
        moments.append(
            Moment(
                r["created_at"], "review", f"held for review: {r['reason']}", trail.side, trail.record_id, detail, url
            )
        )
        if r["decided_at"] is not None:
            by = f" by {r['decided_by']}" if r["decided_by"] else ""
            summary = f"review {r['id']} {r['state']}{by}"
            moments.append(Moment(r["decided_at"], "review-decided", summary, trail.side, trail.record_id, detail, url))
    return moments


def _runs(trail: Trail) -> list[Moment]:
    moments = []
    for r in trail.runs:
        url = f"/runs/{r['id']}"
        detail = {k: r[k] for k in ("id", "workflow", "run_key", "state", "step", "reason")}
        summary = f"started run {r['id']} of workflow {r['workflow']} (now {r['state']})"
        moments.append(Moment(r["created_at"], "run", summary, trail.side, trail.record_id, detail, url))
        if r["finished_at"] is not None:
            ended = f"run {r['id']} of workflow {r['workflow']} {r['state']}"
            moments.append(Moment(r["finished_at"], "run-ended", ended, trail.side, trail.record_id, detail, url))
    for s in trail.steps:
        error = f": {s['error']}" if s["error"] else ""
        moments.append(
            Moment(
                s["started_at"] or s["finished_at"],
                "run-step",
                f"step {s['step']} of run {s['run_id']} ({s['workflow']}) settled it through the sync: {s['state']}"
                f"{error}",
                trail.side,
                trail.record_id,
                dict(s),
                f"/runs/{s['run_id']}",
            )
        )
    return moments


def assemble(trail: Trail) -> Lineage:
    """The lineage of the trail's record, its moments in time order (those without a time last)."""
    record = ref(trail.sync, trail.side, trail.record_id, trail.entry)
    twin_side = other(trail.side)
    twin_id = trail.link.id_on(twin_side) if trail.link is not None else None
    twin_id = twin_id or (trail.entry.twin_id if trail.entry else None)
    twin = ref(trail.sync, twin_side, twin_id, trail.twin_entry) if twin_id else None
    moments = [*_events(trail), *_audit(trail, twin), *_letters_and_reviews(trail), *_runs(trail)]
    order = sorted(enumerate(moments), key=lambda m: (m[1].at is None, m[1].at.timestamp() if m[1].at else 0, m[0]))
    deleted = bool(trail.link and trail.link.deleted)
    return Lineage(record, twin, deleted, [m for _, m in order], trail.truncated)


async def lineage(store: SqliteStore, sync: str, side: Side, record_id: str) -> Lineage | None:
    """The record's lineage, or None when ferry knows nothing of it."""
    trail = await record_trail(store, sync, side, record_id)
    return assemble(trail) if trail.known else None
