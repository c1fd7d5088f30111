"""A compiled workflow: every expression and payload compiled once, steps in the order they run."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from ferry.mapping import Mapping

OnFailure = Literal["review", "compensate", "continue"]


@dataclass(frozen=True, slots=True)
class Expr:
    """One expression, evaluated against a run's state (`trigger`, `steps`, `run`, `item`, `index`)."""

    text: str
    mapping: Mapping

    def __call__(self, state: dict[str, Any], now: datetime | None = None) -> Any:
        return self.mapping.apply(state, context={"now": now})["value"]


@dataclass(frozen=True, slots=True)
class Body:
    """A payload built with the mapping language from a run's state."""

    mapping: Mapping

    def __call__(self, state: dict[str, Any], now: datetime | None = None, *, creating: bool = True) -> dict[str, Any]:
        return self.mapping.apply(state, context={"now": now}, creating=creating)


@dataclass(frozen=True, slots=True)
class FindPlan:
    connection: str
    entity: str
    match: dict[str, Expr]
    required: bool = True
    missing: Expr | None = None


@dataclass(frozen=True, slots=True)
class GetPlan:
    connection: str
    entity: str
    id: Expr
    required: bool = True


@dataclass(frozen=True, slots=True)
class WritePlan:
    """`create`, `update` (by `id`) or `ensure` (find by `match`, else create)."""

    kind: Literal["create", "update", "ensure"]
    connection: str
    entity: str
    body: Body
    id: Expr | None = None
    match: dict[str, Expr] = field(default_factory=dict)
    update_found: bool = False


@dataclass(frozen=True, slots=True)
class SyncPlan:
    sync: str
    side: Literal["left", "right"]
    id: Expr


@dataclass(frozen=True, slots=True)
class WaitPlan:
    """Wait `seconds`, or watch a record (by `id` or `match`) until `until` holds (or it exists)."""

    seconds: Expr | float | None = None
    connection: str | None = None
    entity: str | None = None
    id: Expr | None = None
    match: dict[str, Expr] | None = None
    until: Expr | None = None
    every: float = 60.0
    timeout: float | None = None


@dataclass(frozen=True, slots=True)
class SetPlan:
    body: Body


@dataclass(frozen=True, slots=True)
class ReasonPlan:
    """`review` (hold for a person; a retry approves) or `fail` (a business rule the data broke)."""

    kind: Literal["review", "fail"]
    reason: Expr


@dataclass(frozen=True, slots=True)
class BranchPlan:
    #: (condition, steps); a None condition is "otherwise".
    cases: tuple[tuple[Expr | None, tuple[StepPlan, ...]], ...]


Action = FindPlan | GetPlan | WritePlan | SyncPlan | WaitPlan | SetPlan | ReasonPlan | BranchPlan


@dataclass(frozen=True, slots=True)
class StepPlan:
    name: str
    kind: str
    action: Action
    when: Expr | None = None
    for_each: Expr | None = None
    on_failure: OnFailure | None = None
    compensate: WritePlan | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class TriggerPlan:
    connection: str
    entity: str
    options: dict[str, Any] = field(default_factory=dict)
    when: Expr | None = None
    key: Expr | None = None
    webhooks: bool = True
    poll_seconds: int | None = 60
    history: Literal["skip", "run"] = "skip"


@dataclass(frozen=True, slots=True)
class WorkflowPlan:
    name: str
    trigger: TriggerPlan
    steps: tuple[StepPlan, ...]
    on_failure: OnFailure = "review"
    description: str | None = None
    file: str | None = None

    def walk(self) -> Iterator[StepPlan]:
        """Every step, branches' steps included, in the order they are written."""
        yield from _walk(self.steps)

    def step(self, name: str) -> StepPlan | None:
        return next((s for s in self.walk() if s.name == name), None)

    def watched(self) -> set[tuple[str, str]]:
        """(connection, entity) pairs whose changes matter to this workflow: its trigger and its waits."""
        found = {(self.trigger.connection, self.trigger.entity)}
        for step in self.walk():
            if isinstance(step.action, WaitPlan) and step.action.connection and step.action.entity:
                found.add((step.action.connection, step.action.entity))
        return found


def _walk(steps: tuple[StepPlan, ...]) -> Iterator[StepPlan]:
    for step in steps:
        yield step
        if isinstance(step.action, BranchPlan):
            for _, inner in step.action.cases:
                yield from _walk(inner)
