"""A compiled mapping: a tree of target objects and fields, each holding compiled evaluators."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from ferry.core.errors import ValidationError
from ferry.mapping.invariant import MEMO
from ferry.mapping.registry import Evaluator
from ferry.mapping.values import ApplyError, truthy

IfNull = Literal["write", "omit", "fail"]
IfEmpty = Literal["keep", "omit", "null"]


@dataclass(frozen=True, slots=True)
class FieldPlan:
    """One target field: its key in the enclosing object and how to compute it."""

    key: str
    path: str
    value: Evaluator
    default: Evaluator | None
    if_null: IfNull
    when: Evaluator | None
    create_only: bool
    #: The expression as written, for "required but null" messages.
    text: str


@dataclass(slots=True)
class ObjectPlan:
    """A target object (the payload itself, or a nested object) and its fields and objects, in file order."""

    key: str
    path: str
    items: list[FieldPlan | ObjectPlan | ListPlan] = field(default_factory=list)
    if_empty: IfEmpty = "keep"
    when: Evaluator | None = None
    create_only: bool = False


@dataclass(frozen=True, slots=True)
class ListPlan:
    """A target list: one item object built from each item of the source list."""

    key: str
    path: str
    source: Evaluator
    item: ObjectPlan
    when: Evaluator | None
    create_only: bool


def _outline(plan: ObjectPlan) -> Iterator[tuple[str, str]]:
    for item in plan.items:
        if isinstance(item, FieldPlan):
            yield item.path, item.text
        elif isinstance(item, ListPlan):
            yield from _outline(item.item)
        else:
            yield from _outline(item)


def _empty(obj: dict[str, Any]) -> bool:
    return all(v is None or (isinstance(v, dict) and _empty(v)) for v in obj.values())


def _build(
    plan: ObjectPlan,
    record: dict[str, Any],
    context: dict[str, Any],
    creating: bool,
    errors: dict[str, str],
    required: list[FieldPlan],
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in plan.items:
        if item.create_only and not creating:
            continue
        if isinstance(item, ListPlan):
            built = _build_list(item, record, context, creating, errors)
            if built is not None:
                out[item.key] = built
            continue
        if isinstance(item, ObjectPlan):
            try:
                if item.when is not None and not truthy(item.when(record, context)):
                    continue
            except ApplyError as exc:
                errors[item.path] = exc.reason
                continue
            missing: list[FieldPlan] = []
            child = _build(item, record, context, creating, errors, missing)
            if item.if_empty != "keep" and _empty(child):
                if item.if_empty == "null":
                    out[item.key] = None
                continue
            required.extend(missing)  # required fields count only in an object that is written
            out[item.key] = child
            continue
        try:
            if item.when is not None and not truthy(item.when(record, context)):
                continue
            value = item.value(record, context)
            if value is None and item.default is not None:
                value = item.default(record, context)
        except ApplyError as exc:
            errors[item.path] = exc.reason
            continue
        if value is None:
            if item.if_null == "omit":
                continue
            if item.if_null == "fail":
                required.append(item)
        out[item.key] = value
    return out


def _build_list(
    plan: ListPlan, record: dict[str, Any], context: dict[str, Any], creating: bool, errors: dict[str, str]
) -> list[dict[str, Any]] | None:
    try:
        if plan.when is not None and not truthy(plan.when(record, context)):
            return None
        source = plan.source(record, context)
    except ApplyError as exc:
        errors[plan.path] = exc.reason
        return None
    if source is None:
        return None
    if not isinstance(source, list):
        errors[plan.path] = f"its source is {type(source).__name__}, not a list"
        return None
    out = []
    shared = {**context, "parent": record, MEMO: {}}
    for position, element in enumerate(source, start=1):
        where = f"{plan.path}[{position}]"
        if not isinstance(element, dict):
            errors[where] = f"item {position} of the source list is {type(element).__name__}, not an object"
            continue
        inner_errors: dict[str, str] = {}
        required: list[FieldPlan] = []
        inner = {**shared, "position": position}
        out.append(_build(plan.item, element, inner, creating, inner_errors, required))
        for path, reason in inner_errors.items():
            errors[f"{where}.{path}"] = reason
        for missing in required:
            errors.setdefault(f"{where}.{missing.path}", f"is required, but {missing.text} is null for this item")
    return out


class Mapping:
    """A mapping compiled from its file: `apply()` turns one source record into one target payload.

    `fields_read` holds the source paths it reads (dotted, e.g. `primarycontactid.firstname`; a part with a
    dot in it is in backquotes), `fields_written` the target paths it can write.
    """

    __slots__ = ("_reason", "_root", "_skip", "fields_read", "fields_written", "name")

    def __init__(
        self,
        name: str,
        root: ObjectPlan,
        fields_read: frozenset[str],
        fields_written: frozenset[str],
        skip: Evaluator | None = None,
        reason: Evaluator | None = None,
    ) -> None:
        self.name = name
        self.fields_read = fields_read
        self.fields_written = fields_written
        self._root = root
        self._skip = skip
        self._reason = reason

    def skips(self, record: dict[str, Any], *, context: dict[str, Any] | None = None) -> bool:
        """Does the mapping's `skip_when` say this record is not written to the target?"""
        if self._skip is None:
            return False
        try:
            return truthy(self._skip(record, context or {}))
        except ApplyError as exc:
            raise ValidationError(f"mapping {self.name!r}: skip_when failed: {exc.reason}", mapping=self.name) from None

    def skip_reason(self, record: dict[str, Any], *, context: dict[str, Any] | None = None) -> str:
        """Why a record `skips()` is skipped: the mapping's `skip_reason`, or a note that `skip_when` is true."""
        fallback = f"mapping {self.name!r}: skip_when is true"
        if self._reason is None:
            return fallback
        try:
            reason = self._reason(record, context or {})
        except ApplyError as exc:
            return f"{fallback} (skip_reason failed: {exc.reason})"
        return fallback if reason in (None, "") else str(reason)

    def __repr__(self) -> str:
        return f"<Mapping {self.name!r}: {len(self.fields_read)} fields read, {len(self.fields_written)} written>"

    def outline(self) -> list[tuple[str, str]]:
        """(target path, expression as written) for every target field, in file order: what the console draws."""
        return list(_outline(self._root))

    def apply(
        self, record: dict[str, Any], *, context: dict[str, Any] | None = None, creating: bool = False
    ) -> dict[str, Any]:
        """The target payload for `record`. Pass `creating=True` when the target record does not exist yet
        (fields marked `create_only` are written only then) and `context` with the values the mapping reads
        as `context.<name>`. Raise ValidationError, with every failing target field in `field_errors`,
        when the record cannot be mapped."""
        errors: dict[str, str] = {}
        required: list[FieldPlan] = []
        payload = _build(self._root, record, context or {}, creating, errors, required)
        for item in required:
            errors.setdefault(item.path, f"is required, but {item.text} is null for this record")
        if errors:
            reasons = "; ".join(f"{path}: {reason}" for path, reason in errors.items())
            raise ValidationError(
                f"mapping {self.name!r} cannot map this record: {reasons}",
                field_errors=errors,
                mapping=self.name,
                mapped=payload,  # what could be mapped: a person's values for the failing fields complete it
            )
        return payload
