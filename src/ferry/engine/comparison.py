"""A conflict side by side, and a person's decision on it turned into the writes that carry it out.

The two records of a pair live in different shapes (a Dynamics account, a TIMS customer). They are
compared in one shape: the fields one side's mapping writes to the other, with that side's record mapped
(as the engine would map it) next to the other side's record as it is. So each row says what the mapped
side would write and what the other side holds, and `differs` compares meanings, not formats.

A decision picks, per field, the left value, the right value or a value of the person's own. The side in
the compared shape is then written from the mapped side with the chosen values laid over the mapped
output; the mapped side is written from the other with the chosen values laid over its record (mapped
back by the reverse mapping). Both writes go through the engine's normal path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ferry.core.errors import FerryError
from ferry.engine.edits import Edit, get_path, leaves
from ferry.engine.fingerprint import changes, normalise
from ferry.engine.spec import SyncSpec
from ferry.engine.store.base import NewEvent, Side, other
from ferry.engine.store.reviews import Review, ReviewDesk

Choice = Literal["left", "right"] | dict[str, Any]


class DecisionError(ValueError):
    """A decision that cannot be carried out as given; the message says what to change."""


@dataclass(frozen=True, slots=True)
class FieldRow:
    field: str
    left: Any
    right: Any
    differs: bool


@dataclass(frozen=True, slots=True)
class Comparison:
    #: The side whose fields the rows are (its record is shown as it is).
    shape: Side
    #: The side shown through its mapping into the shape's fields.
    mapped: Side
    mapping: str
    rows: tuple[FieldRow, ...]
    #: Why the mapped side could not be mapped (its values are then empty), if it could not.
    mapping_error: str | None = None

    @property
    def differing(self) -> list[str]:
        return [r.field for r in self.rows if r.differs]

    def row(self, name: str) -> FieldRow | None:
        return next((r for r in self.rows if r.field == name), None)


def compare(spec: SyncSpec, review: Review) -> Comparison:
    """The review's two records in one shape (the right's, unless only the right side is mapped)."""
    mapped: Side = "left" if "left" in spec.maps else "right"
    shape = other(mapped)
    mapping = spec.maps[mapped]
    source = (review.left if mapped == "left" else review.right) or {}
    held = (review.right if mapped == "left" else review.left) or {}
    context = {
        "sync": spec.name,
        "source_side": mapped,
        "source_id": review.left_id if mapped == "left" else review.right_id,
        "target_id": review.right_id if mapped == "left" else review.left_id,
    }
    error = None
    if review.mapped is not None and review.mapped.get("side") == mapped:
        payload = dict(review.mapped.get("payload") or {})  # as the engine mapped it, twins and all
    else:
        try:
            payload = mapping.apply(dict(source), context=context, creating=False)
        except FerryError as exc:
            payload, error = {}, exc.message
    # The fields the mapping writes for this record: one it leaves out (create-only, omitted when null)
    # is not written by a sync either, so the other side's value there is no conflict.
    mapped_fields = leaves(payload)
    names = mapped_fields.keys() if error is None else {f for f in mapping.fields_written if "[" not in f}
    rows = []
    for name in sorted(n for n in names if "@" not in n):
        theirs, held_value = mapped_fields.get(name), get_path(held, name)
        left, right = (theirs, held_value) if mapped == "left" else (held_value, theirs)
        rows.append(FieldRow(name, left, right, _differs(theirs, held_value)))
    return Comparison(shape, mapped, mapping.name, tuple(rows), error)


def _differs(mapped: Any, held: Any) -> bool:
    """Would writing the mapped value change the held one? Lines compare item by item on the fields the
    mapping writes (the other system adds its own, such as line ids), as the engine's writes do."""
    if isinstance(mapped, list):
        return bool(changes({"v": mapped}, {"v": held}))
    return bool(normalise(mapped) != normalise(held))


def decide(comparison: Comparison, choices: Mapping[str, Choice], take: Side | None = None) -> dict[str, Any]:
    """The value chosen for each field that differs (and each field given a value of its own)."""
    known = {r.field for r in comparison.rows}
    unknown = sorted(set(choices) - known)
    if unknown:
        raise DecisionError(
            f"No field {', '.join(unknown)} in this review; its fields are: {', '.join(sorted(known))}."
        )
    undecided = [f for f in comparison.differing if f not in choices and take is None]
    if undecided:
        raise DecisionError(
            f"Choose 'left', 'right' or {{\"value\": ...}} for each field that differs: {', '.join(undecided)}"
            " (or give `take` for the fields not chosen one by one)."
        )
    chosen: dict[str, Any] = {}
    for row in comparison.rows:
        choice: Choice | None = choices.get(row.field, take if row.differs else None)
        if choice is None:
            continue
        if isinstance(choice, dict):
            chosen[row.field] = choice["value"]
        else:
            chosen[row.field] = row.left if choice == "left" else row.right
    return chosen


def writes(
    spec: SyncSpec, review: Review, comparison: Comparison, chosen: Mapping[str, Any], *, by: str
) -> tuple[list[tuple[NewEvent, Edit]], list[str]]:
    """The events that bring each side that differs to the chosen values, and notes on sides left alone."""
    found: list[tuple[NewEvent, Edit]] = []
    notes: list[str] = []
    ids = {"left": review.left_id, "right": review.right_id}
    for written in (comparison.shape, comparison.mapped):
        current = {r.field: (r.left if written == "left" else r.right) for r in comparison.rows}
        changes = {
            f: {"before": current.get(f), "after": v}
            for f, v in chosen.items()
            if normalise(current.get(f)) != normalise(v)
        }
        if not changes:
            continue
        origin = other(written)
        record_id = ids[origin]
        if origin not in spec.maps or not spec.flows_from(origin) or record_id is None:
            notes.append(f"the {written} side is not written: sync '{spec.name}' does not write to it")
            continue
        if written == comparison.shape:
            edit = Edit(by=by, target_values=dict(chosen), review=review.id, changes=changes)
        else:
            edit = Edit(by=by, source_values=dict(chosen), review=review.id, changes=changes)
        found.append((NewEvent(spec.name, origin, record_id, source="review"), edit))
    return found, notes


@dataclass(frozen=True, slots=True)
class Resolution:
    comparison: Comparison
    chosen: dict[str, Any]
    writes: list[tuple[NewEvent, Edit]]
    notes: list[str]
    #: False when the review was decided by someone else first (nothing was queued).
    decided: bool


async def resolve(
    desk: ReviewDesk,
    spec: SyncSpec,
    review: Review,
    choices: Mapping[str, Choice],
    take: Side | None = None,
    *,
    by: str,
) -> Resolution:
    """Decide an open review: queue the writes of the chosen values and close it (DecisionError if the
    choices do not decide every field that differs)."""
    comparison = compare(spec, review)
    chosen = decide(comparison, choices, take)
    queued, notes = writes(spec, review, comparison, chosen, by=by)
    decision = {"choices": dict(choices), "take": take, "values": chosen}
    decided = await desk.resolve(review.id, by=by, decision=decision, writes=queued)
    return Resolution(comparison, chosen, queued, notes, decided)
