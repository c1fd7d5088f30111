"""What the project runs, for the console's diagrams: each sync with its sides and mapping, each workflow
with its trigger and steps."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from ferry.engine.spec import RecordMapping, SyncSpec
from ferry.mapping import Mapping
from ferry.workflow import WorkflowPlan
from ferry.workflow.plan import BranchPlan, FindPlan, GetPlan, ReasonPlan, StepPlan, SyncPlan, WaitPlan, WritePlan


class EndOut(BaseModel):
    connection: str
    entity: str


class FieldMap(BaseModel):
    target: str
    expression: str


class MappingOut(BaseModel):
    name: str
    source: Literal["left", "right"]
    fields: list[FieldMap]


class StepInfo(BaseModel):
    name: str
    kind: str
    target: str | None = Field(None, description="The system and entity it reads or writes, or what it waits for.")
    when: str | None = None
    for_each: str | None = None
    description: str | None = None
    branches: list[list[StepInfo]] = Field(default_factory=list)


class FlowOut(BaseModel):
    name: str
    kind: Literal["sync", "workflow"]
    description: str | None = None
    trigger: str = Field(description="What starts it: webhooks, polling, or both.")
    left: EndOut | None = None
    right: EndOut | None = None
    direction: str | None = None
    conflicts: str | None = None
    mappings: list[MappingOut] = Field(default_factory=list)
    steps: list[StepInfo] = Field(default_factory=list)


def _trigger(webhooks: bool, poll: float | None) -> str:
    parts = ["webhooks"] if webhooks else []
    if poll:
        parts.append(f"polling every {poll:g} s")
    return " + ".join(parts) or "on demand"


def _mapping(mapping: RecordMapping, source: Literal["left", "right"]) -> MappingOut:
    outline = mapping.outline() if isinstance(mapping, Mapping) else [(f, "") for f in sorted(mapping.fields_written)]
    return MappingOut(name=mapping.name, source=source, fields=[FieldMap(target=t, expression=e) for t, e in outline])


def sync_flow(spec: SyncSpec, poll: float | None) -> FlowOut:
    return FlowOut(
        name=spec.name,
        kind="sync",
        trigger=_trigger(True, poll),
        left=EndOut(connection=spec.left.connection, entity=spec.left.entity),
        right=EndOut(connection=spec.right.connection, entity=spec.right.entity),
        direction=spec.direction,
        conflicts=spec.conflicts.policy,
        mappings=[_mapping(m, side) for side, m in spec.maps.items()],
    )


def _target(step: StepPlan) -> str | None:
    action = step.action
    if isinstance(action, FindPlan | GetPlan | WritePlan):
        return f"{action.connection} {action.entity}"
    if isinstance(action, SyncPlan):
        return f"sync {action.sync} ({action.side})"
    if isinstance(action, WaitPlan):
        if action.connection and action.entity:
            return f"{action.connection} {action.entity}" + (f" until {action.until.text}" if action.until else "")
        return "a while"
    if isinstance(action, ReasonPlan):
        return action.reason.text
    return None


def _step(step: StepPlan) -> StepInfo:
    branches = []
    if isinstance(step.action, BranchPlan):
        branches = [[_step(s) for s in inner] for _, inner in step.action.cases]
    return StepInfo(
        name=step.name,
        kind=step.kind,
        target=_target(step),
        when=step.when.text if step.when else None,
        for_each=step.for_each.text if step.for_each else None,
        description=step.description,
        branches=branches,
    )


def workflow_flow(plan: WorkflowPlan) -> FlowOut:
    trigger = plan.trigger
    return FlowOut(
        name=plan.name,
        kind="workflow",
        description=plan.description,
        trigger=f"{trigger.connection} {trigger.entity}: " + _trigger(trigger.webhooks, trigger.poll_seconds),
        steps=[_step(s) for s in plan.steps],
    )


def flow_routes(flows: list[FlowOut]) -> APIRouter:
    router = APIRouter(prefix="/api/flows", tags=["flows"])
    by_name = {f.name: f for f in flows}

    @router.get("", response_model=list[FlowOut])
    async def listing() -> list[FlowOut]:
        """Every sync and workflow of the project, with its trigger, sides or steps, and mappings."""
        return flows

    @router.get("/{name}", response_model=FlowOut)
    async def one(name: str) -> FlowOut:
        if name not in by_name:
            raise HTTPException(404, f"There is no flow '{name}'; there are: {', '.join(sorted(by_name)) or 'none'}.")
        return by_name[name]

    return router
