"""The control API's workflow part: runs with their steps (state, inputs, outputs, timings), retry, cancel."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from ferry.core.redact import redact
from ferry.engine.store.base import Run, StepRecord
from ferry.engine.store.sqlite import SqliteStore

RunStateName = Literal["pending", "running", "waiting", "held", "completed", "failed", "compensated", "cancelled"]


class StepOut(BaseModel):
    step: str
    state: str = Field(description="done, skipped, waiting, retrying, review, failed, continued or compensated.")
    attempts: int
    started_at: datetime | None
    finished_at: datetime | None
    seconds: float | None = Field(description="How long it took, from its first attempt to its end.")
    error: str | None = Field(description="Why it waits or failed.")
    input: Any = Field(None, description="What it asked of a system, secrets masked.")
    output: Any = Field(None, description="What it gave, secrets masked.")


class RunOut(BaseModel):
    id: int
    workflow: str
    key: str
    trigger_id: str
    state: RunStateName
    step: str | None = Field(description="The step it is at (waiting, held) or failed at.")
    reason: str | None = Field(description="Why it waits, is held or ended as it did.")
    attempts: int
    retries: int = Field(description="How many times a person retried it.")
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    due_at: datetime
    trigger: dict[str, Any] | None = None
    steps: list[StepOut] = Field(default_factory=list)


class CancelRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="Why, kept with the run.")


def step_out(record: StepRecord) -> StepOut:
    took = None
    if record.started_at is not None and record.finished_at is not None:
        took = round((record.finished_at - record.started_at).total_seconds(), 3)
    return StepOut(
        step=record.step,
        state=record.state,
        attempts=record.attempts,
        started_at=record.started_at,
        finished_at=record.finished_at,
        seconds=took,
        error=record.error,
        input=redact(record.input),
        output=redact(record.output),
    )


def run_out(run: Run, *, detail: bool) -> RunOut:
    return RunOut(
        id=run.id,
        workflow=run.workflow,
        key=run.key,
        trigger_id=run.trigger_id,
        state=run.state,
        step=run.step,
        reason=run.reason,
        attempts=run.attempts,
        retries=run.generation,
        created_at=run.created_at,
        updated_at=run.updated_at,
        finished_at=run.finished_at,
        due_at=run.due_at,
        trigger=redact(run.trigger) if detail else None,
        steps=[step_out(r) for r in run.steps.values()] if detail else [],
    )


def workflow_routes(store: SqliteStore) -> APIRouter:
    router = APIRouter(prefix="/api/workflows", tags=["workflows"])

    @router.get("", response_model=dict[str, dict[str, int]])
    async def counts() -> dict[str, dict[str, int]]:
        """Runs per workflow and state."""
        return await store.runs.counts()

    @router.get("/runs", response_model=list[RunOut])
    async def runs(
        workflow: str | None = None,
        state: RunStateName | None = None,
        limit: int = Query(100, ge=1, le=1000),
        offset: int = Query(0, ge=0),
    ) -> list[RunOut]:
        """Runs, newest first."""
        found = await store.runs.list(workflow=workflow, state=state, limit=limit, offset=offset)
        return [run_out(r, detail=False) for r in found]

    @router.get("/runs/{run_id}", response_model=RunOut)
    async def run(run_id: int) -> RunOut:
        """One run with every step it has been through."""
        return run_out(await _run(store, run_id), detail=True)

    @router.post("/runs/{run_id}/retry", response_model=RunOut)
    async def retry(run_id: int) -> RunOut:
        """Resume a held or failed run from the step it stopped at (after fixing the cause)."""
        current = await _run(store, run_id)
        if await store.runs.retry(run_id) is None:
            raise HTTPException(409, f"Run {run_id} is {current.state}; only held or failed runs can be retried.")
        return run_out(await _run(store, run_id), detail=False)

    @router.post("/runs/{run_id}/cancel", response_model=RunOut)
    async def cancel(run_id: int, body: CancelRequest) -> RunOut:
        """Stop a run that has not ended; it runs no further step."""
        current = await _run(store, run_id)
        if not await store.runs.cancel(run_id, body.reason):
            raise HTTPException(409, f"Run {run_id} is {current.state}; it can no longer be cancelled.")
        return run_out(await _run(store, run_id), detail=False)

    return router


async def _run(store: SqliteStore, run_id: int) -> Run:
    found = await store.runs.get(run_id)
    if found is None:
        raise HTTPException(404, f"There is no workflow run {run_id}.")
    return found
