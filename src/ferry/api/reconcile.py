"""The control API's reconciliation part: start a comparison of a sync's two systems, read its drift, heal it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from ferry.engine.reconcile import HealSummary, NotHealable, Reconciler, UnknownSync
from ferry.engine.store.reconciliations import (
    DRIFT_KINDS,
    DriftItem,
    DriftKind,
    Reconciliation,
    ReconciliationRunning,
)

Kind = Literal["missing_left", "missing_right", "different", "orphan_link"]


class ReconcileRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sync: str = Field(min_length=1, max_length=64, description="The sync whose two systems are compared.")
    heal: bool = Field(False, description="Queue the fixes as soon as the comparison is done.")


class FieldDiffOut(BaseModel):
    field: str = Field(description="The field, named as the twin's system names it.")
    want: Any = Field(description="What the authoritative record maps to (what the engine would write).")
    have: Any = Field(description="What the twin holds. Sensitive values are masked.")


class DriftItemOut(BaseModel):
    number: int
    kind: Kind
    left_id: str | None
    right_id: str | None
    source: Literal["left", "right"] | None = Field(
        description="The side whose record is the reference: the one that exists, or the authoritative one."
    )
    note: str
    fields: list[FieldDiffOut]
    heal: str | None = Field(
        description="What the last heal did with it: queued, already queued, forgotten, or `cannot fix: why`."
    )
    records: dict[str, str] = Field(description="Console pages of the records' histories, by side.")


class HealOut(BaseModel):
    queued: int = Field(description="Events queued now for the engine to settle.")
    already_queued: int = Field(description="Items a previous heal of this report queued already.")
    forgotten: int = Field(description="Links to two vanished records marked deleted.")
    cannot_fix: int = Field(description="Items the engine cannot fix (each says why).")


class ReconciliationOut(BaseModel):
    id: int
    sync: str
    state: Literal["running", "done", "failed"]
    started_by: str = Field(description="Who: the person (console or API), cli, or schedule.")
    started_at: datetime
    finished_at: datetime | None
    seconds: float | None
    counts: dict[str, int] = Field(
        description="Records read per side (left, right), pairs compared, drift per kind, records skipped by "
        "the mapping and records it could not map."
    )
    drift: int = Field(description="Drift items in all.")
    error: str | None
    healed_at: datetime | None
    heal: HealOut | None
    url: str = Field(description="The report's console page.")
    read: dict[str, int] | None = Field(
        None, description="While it runs (started through this API): records read so far per side."
    )
    items: list[DriftItemOut] | None = Field(None, description="A page of drift items (one report's detail).")
    items_total: int | None = Field(None, description="Items matching the request, across pages.")


class ReconciliationList(BaseModel):
    latest: dict[str, ReconciliationOut | None] = Field(description="The newest report of each sync of the project.")
    recent: list[ReconciliationOut] = Field(description="Reports, newest first.")


class Started(BaseModel):
    id: int
    sync: str
    state: Literal["running"] = "running"
    url: str = Field(description="The report's console page.")
    status_url: str = Field(description="Where the API answers with its progress and drift.")


class HealResult(HealOut):
    reconciliation: int
    not_fixed: list[DriftItemOut] = Field(description="The first 100 items the engine cannot fix, with why.")


def report_out(
    report: Reconciliation, items: list[DriftItem] | None = None, items_total: int | None = None
) -> ReconciliationOut:
    took = (report.finished_at - report.started_at).total_seconds() if report.finished_at else None
    return ReconciliationOut(
        id=report.id,
        sync=report.sync,
        state=report.state,
        started_by=report.started_by,
        started_at=report.started_at,
        finished_at=report.finished_at,
        seconds=round(took, 3) if took is not None else None,
        counts=report.counts,
        drift=sum(report.counts.get(k, 0) for k in DRIFT_KINDS),
        error=report.error,
        healed_at=report.healed_at,
        heal=HealOut(**report.heal) if report.heal else None,
        url=f"/reconciliation/{report.id}",
        items=[item_out(report.sync, i) for i in items] if items is not None else None,
        items_total=items_total,
    )


def item_out(sync: str, item: DriftItem) -> DriftItemOut:
    ids = {"left": item.left_id, "right": item.right_id}
    return DriftItemOut(
        number=item.number,
        kind=item.kind,
        left_id=item.left_id,
        right_id=item.right_id,
        source=item.source,
        note=item.note,
        fields=[FieldDiffOut(field=f.field, want=f.want, have=f.have) for f in item.fields],
        heal=item.heal,
        records={side: f"/records/{sync}/{side}/{i}" for side, i in ids.items() if i},
    )


def heal_out(summary: HealSummary) -> HealOut:
    return HealOut(**summary.totals())


def reconcile_routes(reconciler: Reconciler) -> APIRouter:
    router = APIRouter(prefix="/api/reconciliations", tags=["reconciliation"])
    reports = reconciler.store.reconciliations

    def known(sync: str) -> None:
        try:
            reconciler.spec(sync)
        except UnknownSync as exc:
            raise HTTPException(404, exc.message) from None

    async def found(report_id: int) -> Reconciliation:
        report = await reports.get(report_id)
        if report is None:
            raise HTTPException(404, f"There is no reconciliation {report_id}; list them at GET /api/reconciliations.")
        return report

    @router.post("", status_code=202, response_model=Started)
    async def start(body: ReconcileRequest, request: Request) -> Started:
        known(body.sync)
        user = getattr(request.state, "user", None)
        try:
            report = await reconciler.start(body.sync, started_by=user.name if user else "api", heal=body.heal)
        except ReconciliationRunning as exc:
            raise HTTPException(
                409,
                f"Reconciliation {exc.running} of '{exc.sync}' is running; wait for it to finish "
                f"(GET /api/reconciliations/{exc.running}) before starting another.",
            ) from None
        return Started(
            id=report, sync=body.sync, url=f"/reconciliation/{report}", status_url=f"/api/reconciliations/{report}"
        )

    @router.get("", response_model=ReconciliationList)
    async def recent(
        sync: str | None = None, limit: int = Query(20, ge=1, le=200, description="Reports to list.")
    ) -> ReconciliationList:
        if sync is not None:
            known(sync)
        latest = {}
        for name in reconciler.syncs:
            newest = await reports.recent(sync=name, limit=1)
            latest[name] = report_out(newest[0]) if newest else None
        return ReconciliationList(
            latest=latest, recent=[report_out(r) for r in await reports.recent(sync=sync, limit=limit)]
        )

    @router.get("/{report_id}", response_model=ReconciliationOut)
    async def detail(
        report_id: int,
        kind: Annotated[Kind | None, Query(description="Only items of this kind.")] = None,
        offset: int = Query(0, ge=0),
        limit: int = Query(100, ge=1, le=1000, description="Items per page."),
    ) -> ReconciliationOut:
        report = await found(report_id)
        chosen: DriftKind | None = kind
        items, total = await reports.items(report_id, kind=chosen, offset=offset, limit=limit)
        shown = report_out(report, items, total)
        if report.state == "running" and (read := reconciler.progress.get(report_id)) is not None:
            shown.read = dict(read)
        return shown

    @router.post("/{report_id}/heal", response_model=HealResult)
    async def heal(report_id: int) -> HealResult:
        report = await found(report_id)
        known(report.sync)
        try:
            summary = await reconciler.heal(report_id)
        except NotHealable as exc:
            raise HTTPException(409, exc.message) from None
        cannot = [n for n, outcome in sorted(summary.outcomes.items()) if outcome.startswith("cannot fix")][:100]
        not_fixed = [item_out(report.sync, i) for i in await reports.numbered(report_id, cannot)]
        return HealResult(reconciliation=report_id, not_fixed=not_fixed, **summary.totals())

    return router
