"""A person's fix for one settle of one record: the edited record, or values laid over what ferry maps.

A replay of a dead letter may carry an edit (the source record as ferry will read it, or "write this value
to that field" on the mapped output); a review's decision carries the chosen values. The edit rides on the
one event it was made for, so it applies once: the next change of the record is synced as it comes.
Field names are dotted paths (`BillingAddress.Country`), as mappings write them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from ferry.engine.fingerprint import normalise
from ferry.engine.spec import SyncSpec
from ferry.engine.store.base import DeadLetter
from ferry.mapping.paths import PathError, join_path, split_path

ANONYMOUS = "anonymous"


class EditError(ValueError):
    """An edit that cannot be applied as given; the message says what to change."""


@dataclass(frozen=True, slots=True)
class Edit:
    """What a person changed, and who; the engine applies it to the settle of the event carrying it."""

    by: str = ANONYMOUS
    #: The source record to use instead of fetching it (a dead letter's payload, edited).
    record: dict[str, Any] | None = None
    #: Field -> value laid over the source record read (a review's choice for the side written from).
    source_values: dict[str, Any] = field(default_factory=dict)
    #: Field -> value laid over the mapped output before it is written ("fix a mapping value").
    target_values: dict[str, Any] = field(default_factory=dict)
    letter: int | None = None
    review: int | None = None
    #: Field -> {"before": ..., "after": ...}: what the person changed, for the audit.
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def decided(self) -> bool:
        """A person decided a conflict: the pair is written as chosen, whatever changed since."""
        return self.review is not None

    def audit(self) -> dict[str, Any]:
        """The audit's account of the edit (who, which fields, before and after)."""
        detail: dict[str, Any] = {"by": self.by, "changes": self.changes}
        if self.letter is not None:
            detail["dead_letter"] = self.letter
        if self.review is not None:
            detail["review"] = self.review
        if self.record is not None:
            detail["edited_record"] = True
        if self.target_values:
            detail["overrides"] = self.target_values
        if self.source_values:
            detail["source_values"] = self.source_values
        return detail

    def to_json(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "record": self.record,
            "source_values": self.source_values,
            "target_values": self.target_values,
            "letter": self.letter,
            "review": self.review,
            "changes": self.changes,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Edit:
        return cls(
            by=str(data.get("by") or ANONYMOUS),
            record=cast(dict[str, Any] | None, data.get("record")),
            source_values=dict(data.get("source_values") or {}),
            target_values=dict(data.get("target_values") or {}),
            letter=data.get("letter"),
            review=data.get("review"),
            changes=dict(data.get("changes") or {}),
        )


def get_path(data: Mapping[str, Any] | None, path: str) -> Any:
    """The value at a dotted path, or None where any part is missing."""
    current: Any = data
    for part in split_path(path):
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
    return current


def with_values(data: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `data` with each dotted path set to its value (objects on the way are copied, or made)."""
    out = _copy(data)
    for path, value in values.items():
        *parents, last = split_path(path)
        node = out
        for part in parents:
            child = node.get(part)
            node[part] = _copy(child) if isinstance(child, Mapping) else {}
            node = node[part]
        node[last] = value
    return out


def _copy(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _copy(v) if isinstance(v, Mapping) else v for k, v in data.items()}


def leaves(data: Mapping[str, Any] | None, prefix: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every value of `data` by its dotted path (nested objects opened; lists kept whole)."""
    out: dict[str, Any] = {}
    for key, value in (data or {}).items():
        parts = (*prefix, str(key))
        if isinstance(value, Mapping) and value:
            out.update(leaves(value, parts))
        else:
            out[join_path(parts)] = value
    return out


def field_changes(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The fields that differ between two versions of a record, each with its value before and after."""
    old, new = leaves(before), leaves(after)
    return {
        path: {"before": old.get(path), "after": new.get(path)}
        for path in sorted(old.keys() | new.keys())
        if normalise(old.get(path)) != normalise(new.get(path))
    }


def unknown_fields(values: Mapping[str, Any], known: frozenset[str]) -> list[str]:
    """The fields of `values` that are not among `known`: a field inside a known object, or an object
    holding known fields, counts as known."""
    unknown = []
    for name in values:
        try:
            parts = split_path(name)
        except PathError:
            unknown.append(name)
            continue
        prefixes = {join_path(parts[:n]) for n in range(1, len(parts) + 1)}
        if not prefixes & known and not any(k.startswith(f"{name}.") for k in known):
            unknown.append(name)
    return unknown


def replay_edit(
    letter: DeadLetter,
    spec: SyncSpec | None,
    *,
    by: str,
    payload: dict[str, Any] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Edit | None:
    """The edit for replaying `letter` with an edited record and/or target overrides (None for neither),
    the overrides checked against the fields the sync's mapping writes."""
    if not payload and not overrides:
        return None
    if overrides:
        mapping = spec.maps.get(letter.side) if spec is not None else None
        if mapping is None:
            raise EditError(
                f"Overrides need the mapping of sync '{letter.sync}' from its {letter.side} side, and the project"
                " ferry runs has none; replay with an edited payload instead."
            )
        known = mapping.fields_written
        if unknown := unknown_fields(overrides, known):
            raise EditError(
                f"Mapping '{mapping.name}' writes no field {', '.join(unknown)}; the fields it writes are: "
                f"{', '.join(sorted(known))}."
            )
    changes = field_changes(letter.payload, payload) if payload is not None else {}
    return Edit(by=by, record=payload, target_values=dict(overrides or {}), letter=letter.id, changes=changes)
