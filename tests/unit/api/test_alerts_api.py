"""`/api/alerts`, `/api/alert-rules` and `/api/alert-channels`: what the console's alerts page reads and does."""

from __future__ import annotations

from pydantic import SecretStr

from ferry.alerts import Alerting
from ferry.alerts.channels import ConsoleSender, Sender, WebhookSender
from ferry.engine.store import NewEvent, SqliteStore
from ferry.project.alerts import Alerts
from tests.receivers import webhook
from tests.unit.api.clients import api_client

SPEC = {
    "channels": {
        "ops": {"type": "webhook", "format": "slack", "url": "${secret:hook}"},
        "console": {"type": "console"},
    },
    "rules": [
        {"name": "dead-letters", "kind": "dlq_size", "channels": ["console"]},
        {"name": "behind", "kind": "lag", "sync": "customers", "threshold": "10m", "repeat": "1h"},
    ],
}


def alerting(store: SqliteStore, hook_url: str = "http://127.0.0.1:9/none") -> Alerting:
    senders: dict[str, Sender] = {
        "ops": WebhookSender("ops", SecretStr(hook_url), "slack", 5),
        "console": ConsoleSender("console"),
    }
    return Alerting(
        "demo", store, Alerts.model_validate(SPEC), senders, syncs=["customers"], base_url="http://ferry.test"
    )


async def firing_dead_letter(store: SqliteStore, a: Alerting) -> None:
    await store.enqueue([NewEvent("customers", "left", "a", version="1")])
    [claim] = await store.claim(worker="w", limit=1, lease_seconds=30)
    await store.dead_letter(claim, error_class="ValidationError", error="refused", payload=None)
    await a.evaluate()
    await a.flush()


async def test_alerts_are_listed_shown_and_acknowledged(store: SqliteStore) -> None:
    a = alerting(store)
    await firing_dead_letter(store, a)
    async with await api_client(store, "viewer", alerting=a) as viewer:
        [listed] = (await viewer.get("/api/alerts")).json()
        resolved = (await viewer.get("/api/alerts", params={"state": "resolved"})).json()
        every = (await viewer.get("/api/alerts", params={"state": "all"})).json()
        shown = (await viewer.get(f"/api/alerts/{listed['id']}")).json()
        not_allowed = await viewer.post(f"/api/alerts/{listed['id']}/acknowledge")
        bad_state = await viewer.get("/api/alerts", params={"state": "open"})
        missing = await viewer.get("/api/alerts/999")
    async with await api_client(store, "operator", alerting=a) as operator:
        acked = (await operator.post(f"/api/alerts/{listed['id']}/acknowledge")).json()
        missing_ack = await operator.post("/api/alerts/999/acknowledge")
    assert (listed["rule"], listed["subject"], listed["state"], listed["severity"]) == (
        "dead-letters",
        "customers",
        "firing",
        "warning",
    )
    assert listed["link"] == "/dead-letters?sync=customers"
    assert [(d["channel"], d["event"], d["outcome"]) for d in listed["deliveries"]] == [
        ("console", "firing", "delivered")
    ]
    assert resolved == [] and len(every) == 1 and shown["id"] == listed["id"]
    assert not_allowed.status_code == 403  # acknowledging is a change: the operator role
    assert acked["acknowledged_by"] == "test-operator" and acked["acknowledged_at"] is not None
    assert acked["state"] == "firing"
    assert bad_state.status_code == 422
    assert missing.status_code == 404 and "no alert 999" in missing.json()["detail"]
    assert missing_ack.status_code == 404


async def test_rules_show_their_settings_and_what_they_have_firing(store: SqliteStore) -> None:
    a = alerting(store)
    await firing_dead_letter(store, a)
    async with await api_client(store, "viewer", alerting=a) as c:
        dead, behind = (await c.get("/api/alert-rules")).json()
        channels = (await c.get("/api/alert-channels")).json()
    assert (dead["name"], dead["state"], dead["channels"]) == ("dead-letters", "firing", ["console"])
    [firing] = dead["firing"]
    assert (firing["subject"], firing["link"]) == ("customers", "/dead-letters?sync=customers")
    assert dead["settings"] == {"threshold": 0}
    assert (behind["state"], behind["sync"], behind["repeat_seconds"]) == ("ok", "customers", 3600)
    assert behind["channels"] == ["ops", "console"] and behind["settings"] == {"threshold": 600}
    assert channels == [
        {"name": "ops", "type": "webhook", "format": "slack"},
        {"name": "console", "type": "console", "format": None},
    ]


async def test_a_channel_test_sends_a_message_and_answers_the_outcome(store: SqliteStore) -> None:
    async with webhook("slack") as hook, await api_client(store, "operator", alerting=alerting(store, hook.url)) as c:
        sent = await c.post("/api/alert-channels/ops/test")
        hook.failures = [500]
        failed = (await c.post("/api/alert-channels/ops/test")).json()
        unknown = await c.post("/api/alert-channels/pager/test")
    assert sent.status_code == 200 and sent.json() == {
        "channel": "ops",
        "delivered": True,
        "attempts": 1,
        "error": None,
    }
    [body] = hook.received
    assert "A test message from ferry to the channel 'ops'" in body["text"]
    assert "<http://ferry.test/alerts|Open in ferry>" in body["text"]
    assert failed["delivered"] is False and failed["error"] == "the webhook answered HTTP 500: try later"
    assert unknown.status_code == 404 and unknown.json()["detail"] == (
        "There is no alert channel 'pager'. Channels: console, ops."
    )
    assert await store.alerts.list(state=None) == []  # a test is no alert


async def test_without_alerting_the_defaults_are_shown_and_channels_cannot_be_tested(store: SqliteStore) -> None:
    async with await api_client(store, "operator") as c:
        rules = (await c.get("/api/alert-rules")).json()
        tried = await c.post("/api/alert-channels/console/test")
    assert [(r["name"], r["kind"]) for r in rules] == [("dead-letters", "dlq_size"), ("authentication", "auth_failure")]
    assert tried.status_code == 409
