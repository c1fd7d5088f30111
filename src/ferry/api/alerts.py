"""The control API's alerts part: alerts with their deliveries, acknowledging one, the rules with their
current state, and a test message through a channel."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field

from ferry.alerts import Alerting
from ferry.engine.store.alerts import Alert
from ferry.engine.store.sqlite import SqliteStore
from ferry.project.alerts import Alerts, default_alerts

_COMMON = {"name", "kind", "severity", "channels", "repeat", "sync", "workflow", "connection"}


class DeliveryOut(BaseModel):
    channel: str
    event: str = Field(description="What was sent: firing, repeat or resolved.")
    outcome: Literal["sending", "delivered", "failed"]
    attempts: int
    error: str | None = Field(description="Why the last attempt failed (secrets left out).")
    at: datetime


class AlertOut(BaseModel):
    id: int
    rule: str
    kind: str
    subject: str = Field(description="The sync, workflow or connection it is about.")
    severity: str
    state: Literal["firing", "resolved"]
    message: str = Field(description="What was seen, last time the rule was evaluated.")
    link: str | None = Field(description="The console page showing the cause (a path on this server).")
    first_seen: datetime
    last_seen: datetime
    notified_at: datetime | None
    resolved_at: datetime | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    deliveries: list[DeliveryOut] = Field(default_factory=list)


class FiringOut(BaseModel):
    alert_id: int
    subject: str
    since: datetime
    message: str
    link: str | None


class RuleOut(BaseModel):
    name: str
    kind: str
    severity: str
    channels: list[str] = Field(description="Where its alerts go.")
    repeat_seconds: int | None
    sync: str | None = None
    workflow: str | None = None
    connection: str | None = None
    settings: dict[str, Any] = Field(description="The kind's own settings (threshold, window, ...), in seconds.")
    state: Literal["firing", "ok"]
    firing: list[FiringOut]


class ChannelOut(BaseModel):
    name: str
    type: str
    format: str | None = None


class ChannelTestOut(BaseModel):
    channel: str
    delivered: bool
    attempts: int
    error: str | None


def alert_out(alert: Alert) -> AlertOut:
    return AlertOut(
        id=alert.id,
        rule=alert.rule,
        kind=alert.kind,
        subject=alert.subject,
        severity=alert.severity,
        state=alert.state,
        message=alert.message,
        link=alert.link,
        first_seen=alert.first_seen,
        last_seen=alert.last_seen,
        notified_at=alert.notified_at,
        resolved_at=alert.resolved_at,
        acknowledged_by=alert.acknowledged_by,
        acknowledged_at=alert.acknowledged_at,
        deliveries=[
            DeliveryOut(
                channel=d.channel, event=d.event, outcome=d.outcome, attempts=d.attempts, error=d.error, at=d.at
            )
            for d in alert.deliveries
        ],
    )


def alert_routes(store: SqliteStore, alerting: Alerting | None = None) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["alerts"])
    spec: Alerts = alerting.spec if alerting is not None else default_alerts()

    @router.get("/alerts", response_model=list[AlertOut])
    async def alerts(
        state: Literal["firing", "resolved", "all"] = "firing",
        rule: str | None = None,
        limit: int = Query(100, ge=1, le=1000),
        offset: int = Query(0, ge=0),
    ) -> list[AlertOut]:
        """Alerts, newest first: those firing (the default), resolved, or all."""
        found = await store.alerts.list(state=None if state == "all" else state, rule=rule, limit=limit, offset=offset)
        return [alert_out(a) for a in found]

    @router.get("/alerts/{alert_id}", response_model=AlertOut)
    async def alert(alert_id: int) -> AlertOut:
        """One alert with every notification sent about it."""
        found = await store.alerts.get(alert_id)
        if found is None:
            raise HTTPException(404, f"There is no alert {alert_id}; list them with GET /api/alerts?state=all.")
        return alert_out(found)

    @router.post("/alerts/{alert_id}/acknowledge", response_model=AlertOut)
    async def acknowledge(alert_id: int, request: Request) -> AlertOut:
        """Note that a person has seen the alert (who, when); it still resolves by itself when it clears."""
        user = getattr(request.state, "user", None)
        who = str(getattr(user, "name", None) or "anonymous")
        found = await store.alerts.acknowledge(alert_id, who)
        if found is None:
            raise HTTPException(404, f"There is no alert {alert_id}; list them with GET /api/alerts?state=all.")
        return alert_out(found)

    @router.get("/alert-rules", response_model=list[RuleOut])
    async def rules() -> list[RuleOut]:
        """The project's alert rules, each with the alerts it has firing now."""
        firing = await store.alerts.firing()
        out = []
        for rule in spec.rules:
            mine = [
                FiringOut(alert_id=a.id, subject=a.subject, since=a.first_seen, message=a.message, link=a.link)
                for a in firing
                if a.rule == rule.name
            ]
            out.append(
                RuleOut(
                    name=rule.name,
                    kind=rule.kind,
                    severity=rule.severity,
                    channels=list(rule.channels) if rule.channels is not None else list(spec.channels),
                    repeat_seconds=rule.repeat,
                    sync=getattr(rule, "sync", None),
                    workflow=getattr(rule, "workflow", None),
                    connection=getattr(rule, "connection", None),
                    settings=rule.model_dump(exclude=_COMMON),
                    state="firing" if mine else "ok",
                    firing=mine,
                )
            )
        return out

    @router.get("/alert-channels", response_model=list[ChannelOut])
    async def channels() -> list[ChannelOut]:
        """The channels alerts go to (never their secrets)."""
        return [ChannelOut(name=n, type=c.type, format=getattr(c, "format", None)) for n, c in spec.channels.items()]

    @router.post("/alert-channels/{name}/test", response_model=ChannelTestOut)
    async def test_channel(name: str) -> ChannelTestOut:
        """Send a test message through the channel now and say whether it arrived."""
        if alerting is None:
            raise HTTPException(409, "Alerts are not evaluated by this process; test channels where ferry runs.")
        if name not in alerting.channels:
            names = ", ".join(sorted(alerting.channels)) or "none"
            raise HTTPException(404, f"There is no alert channel '{name}'. Channels: {names}.")
        outcome = await alerting.test(name)
        return ChannelTestOut(channel=name, delivered=outcome.delivered, attempts=outcome.attempts, error=outcome.error)

    return router
