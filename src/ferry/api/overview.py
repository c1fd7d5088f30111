"""`GET /api/overview`: per flow (sync or workflow), what it settled, failed and lagged, in time buckets."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import cast

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from ferry.engine.store.series import WINDOWS, Bucket, FlowKind, FlowSeries, Window
from ferry.engine.store.sqlite import SqliteStore


class BucketOut(BaseModel):
    start: datetime
    processed: int = Field(description="Changes settled (records synced, or workflow runs finished).")
    failed: int = Field(description="Of those, dead-lettered changes or failed runs.")
    error_rate: float | None = Field(description="failed / processed; null when nothing was processed.")
    lag_seconds: float | None = Field(description="Largest lag sampled in the bucket; null when not sampled.")
    pending: int | None = Field(description="Work waiting at the bucket's last sample; null when not sampled.")


class FlowTotals(BaseModel):
    processed: int
    failed: int
    error_rate: float | None
    pending: int | None = Field(description="Waiting at the newest sample.")
    in_flight: int | None = Field(description="Being processed at the newest sample.")
    lag_seconds: float | None = Field(description="Lag at the newest sample.")
    dead_letters: int | None = Field(description="Open dead letters at the newest sample.")


class FlowOverview(BaseModel):
    name: str = Field(description="The sync's or workflow's name (as in /api/flows).")
    kind: FlowKind
    totals: FlowTotals
    buckets: list[BucketOut]


class OverviewOut(BaseModel):
    window: str
    bucket_seconds: int
    start: datetime
    end: datetime
    flows: list[FlowOverview]


def overview_routes(store: SqliteStore, flows: Mapping[str, FlowKind] | None = None) -> APIRouter:
    """The overview charts' data; `flows` names the project's flows, so idle ones show too."""
    router = APIRouter()
    choices = " | ".join(WINDOWS)

    @router.get("/api/overview", response_model=OverviewOut)
    async def overview(window: str = "hour", flow: str | None = None) -> OverviewOut:
        """Per flow, what it settled and failed and how far behind it was, in buckets of the window."""
        if window not in WINDOWS:
            raise HTTPException(422, f"window '{window}' is not one of {choices}; for example ?window=day.")
        found = await store.series.overview(cast(Window, window), dict(flows or {}))
        series = [s for s in found.flows if flow is None or s.flow == flow]
        if flow is not None and not series:
            known = ", ".join(s.flow for s in found.flows) or "none yet"
            raise HTTPException(404, f"There is no flow '{flow}' (with data in this window); there are: {known}.")
        return OverviewOut(
            window=found.window,
            bucket_seconds=found.bucket_seconds,
            start=_at(found.start),
            end=_at(found.end),
            flows=[_flow(s) for s in series],
        )

    return router


def _at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _flow(s: FlowSeries) -> FlowOverview:
    latest = s.latest
    return FlowOverview(
        name=s.flow,
        kind=s.kind,
        totals=FlowTotals(
            processed=s.processed,
            failed=s.failed,
            error_rate=s.failed / s.processed if s.processed else None,
            pending=latest.pending if latest else None,
            in_flight=latest.in_flight if latest else None,
            lag_seconds=latest.lag_seconds if latest else None,
            dead_letters=latest.dead_letters if latest else None,
        ),
        buckets=[_bucket(b) for b in s.buckets],
    )


def _bucket(b: Bucket) -> BucketOut:
    return BucketOut(
        start=_at(b.start),
        processed=b.processed,
        failed=b.failed,
        error_rate=b.error_rate,
        lag_seconds=b.lag_seconds,
        pending=b.pending,
    )
