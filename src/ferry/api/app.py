"""The control API app: status, dead letters and record history over the engine's store."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from starlette.routing import Route

from ferry import __version__
from ferry.access import AccessPolicy, AccessStore, Principal
from ferry.alerts import Alerting
from ferry.api.alerts import alert_routes
from ferry.api.audit import ActionLog
from ferry.api.connections import connection_routes
from ferry.api.designer import designer_routes
from ferry.api.flows import FlowOut, flow_routes
from ferry.api.health import Telemetry, connection_statuses
from ferry.api.letters import dead_letter_routes, find_letter, letter_out
from ferry.api.metrics import metrics_routes
from ferry.api.models import (
    AuditOut,
    ConnectionStatus,
    DeadLetterOut,
    RecordHistory,
    SyncStatus,
)
from ferry.api.overview import overview_routes
from ferry.api.people import people_routes
from ferry.api.reconcile import reconcile_routes
from ferry.api.records import record_routes
from ferry.api.reviews import review_routes
from ferry.api.session import session_routes
from ferry.api.suggestions import suggestion_routes
from ferry.api.workflows import workflow_routes
from ferry.connectors import Connector
from ferry.engine.breaker import CircuitBreaker
from ferry.engine.reconcile import Reconciler
from ferry.engine.spec import SyncSpec
from ferry.engine.store.base import other
from ferry.engine.store.sqlite import SqliteStore
from ferry.project import Project


def control_app(
    store: SqliteStore,
    *,
    breakers: dict[str, CircuitBreaker] | None = None,
    extra_routes: list[Route] | None = None,
    alerting: Alerting | None = None,
    access: AccessPolicy | None = None,
    flows: list[FlowOut] | None = None,
    project: Project | None = None,
    resume: Callable[[str], Awaitable[None]] | None = None,
    reconciler: Reconciler | None = None,
    specs: Mapping[str, SyncSpec] | None = None,
    telemetry: Telemetry | None = None,
    connectors: Mapping[str, Connector] | None = None,
) -> FastAPI:
    """The API served by `ferry run` on 127.0.0.1:7070 (with the webhook receivers as `extra_routes`).

    Every route but health and login needs a principal: reads the viewer role, changes the operator
    role, people and connections the admin role. `specs` (the running project's syncs) let dead-letter
    overrides and reviews be checked against their mappings.
    """
    access = access or AccessPolicy(AccessStore(store), secure_cookies=False)
    app = FastAPI(title="ferry control API", version=__version__, docs_url="/api/docs", openapi_url="/openapi.json")

    async def member(request: Request) -> Principal:
        return await access.authorize(request)

    async def admin(request: Request) -> Principal:
        return await access.authorize(request, "admin")

    @app.get("/api/health")
    async def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    api = APIRouter()
    # First: `/api/dead-letters/groups` must not be read as the letter named "groups" below.
    api.include_router(dead_letter_routes(store, specs or {}))
    api.include_router(review_routes(store, specs or {}))

    @api.get("/api/syncs", response_model=list[SyncStatus])
    async def syncs() -> list[SyncStatus]:
        now = datetime.now(UTC)
        return [
            SyncStatus(
                sync=c.sync,
                pending=c.pending,
                in_flight=c.in_flight,
                done=c.done,
                failed=c.dead,
                reviews=c.reviews,
                lag_seconds=(now - c.oldest_pending).total_seconds() if c.oldest_pending else None,
            )
            for c in await store.counts()
        ]

    @api.get("/api/connections", response_model=list[ConnectionStatus])
    async def connections() -> list[ConnectionStatus]:
        return connection_statuses(breakers or {}, telemetry.http if telemetry else {})

    @api.get("/api/dead-letters", response_model=list[DeadLetterOut])
    async def dead_letters(
        sync: str | None = None, state: Literal["open", "replayed", "dropped"] = "open"
    ) -> list[DeadLetterOut]:
        return [letter_out(d, payload=False) for d in await store.dead_letters(sync=sync, state=state)]

    @api.get("/api/dead-letters/{letter_id}", response_model=DeadLetterOut)
    async def dead_letter(letter_id: int) -> DeadLetterOut:
        return letter_out(await find_letter(store, letter_id), payload=True)

    @api.get("/api/records/{sync}/{side}/{record_id:path}", response_model=RecordHistory)
    async def record(sync: str, side: Literal["left", "right"], record_id: str) -> RecordHistory:
        link = await store.link(sync, side, record_id)
        trail = await store.audit_trail(sync, side, record_id)
        if link is None and not trail:
            raise HTTPException(404, f"ferry has no history for {side} record {record_id} of sync '{sync}'.")
        return RecordHistory(
            sync=sync,
            side=side,
            record_id=record_id,
            twin_id=link.id_on(other(side)) if link else None,
            deleted=link.deleted if link else False,
            audit=[
                AuditOut(
                    action=a.action, side=a.side, record_id=a.record_id, target_id=a.target_id, at=a.at, detail=a.detail
                )
                for a in trail
            ],
        )

    api.include_router(workflow_routes(store))
    api.include_router(record_routes(store))
    api.include_router(flow_routes(flows or []))
    api.include_router(designer_routes(project, specs or {}, connectors or {}, admin))
    api.include_router(suggestion_routes(store, specs or {}, project))
    api.include_router(alert_routes(store, alerting))
    if reconciler is not None:
        api.include_router(reconcile_routes(reconciler))
    api.include_router(overview_routes(store, telemetry.flows if telemetry else None))
    api.include_router(metrics_routes(store, breakers or {}, telemetry or Telemetry()))
    app.include_router(session_routes(access))
    app.include_router(api, dependencies=[Depends(member)])
    app.include_router(people_routes(access.people), dependencies=[Depends(admin)])

    async def reset(name: str) -> None:
        (breakers or {})[name].reset()

    app.include_router(connection_routes(breakers or {}, resume or reset, project), dependencies=[Depends(admin)])
    app.add_middleware(ActionLog, people=access.people)
    for route in extra_routes or []:
        app.router.routes.append(route)
    return app
