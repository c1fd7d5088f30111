"""Webhook subscriptions, and deliveries verified and read as change notices."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from ferry.connectors.contract import WebhookSource
from ferry.connectors.tims import TimsConnector, TimsWebhooks
from ferry.connectors.tims.webhooks import signature
from ferry.core.errors import AuthError, ConfigError, ValidationError
from ferry.core.records import WriteKind, WriteOp
from tests.connectors.tims.conftest import Tims

SECRET = "hook-secret-for-tests"


def hook_url() -> str:
    return f"http://ferry.test/hooks?sub={uuid.uuid4().hex[:8]}"


def hooks_of(connector: TimsConnector) -> TimsWebhooks:
    assert isinstance(connector.webhooks, TimsWebhooks) and isinstance(connector.webhooks, WebhookSource)
    return connector.webhooks


async def subscriptions_to(connector: TimsConnector, url: str) -> list[dict[str, Any]]:
    return [hook for hook in await connector.client.webhooks() if hook["url"] == url]


async def test_subscribing_twice_keeps_one_subscription(connector: TimsConnector) -> None:
    url = hook_url()

    first = await hooks_of(connector).subscribe(url, ["customers", "sales-orders"], SECRET)
    second = await hooks_of(connector).subscribe(url, ["sales-orders", "customers"], SECRET)

    [subscription] = await subscriptions_to(connector, url)
    assert first == second == str(subscription["WebhookID"])
    assert sorted(subscription["events"]) == [
        "customer.created", "customer.deleted", "customer.updated",
        "salesorder.created", "salesorder.deleted", "salesorder.updated",
    ]  # fmt: skip


async def test_subscribing_to_other_entities_replaces_the_subscription(connector: TimsConnector) -> None:
    url = hook_url()
    first = await hooks_of(connector).subscribe(url, ["customers"], SECRET)

    second = await hooks_of(connector).subscribe(url, ["items"], SECRET)

    [subscription] = await subscriptions_to(connector, url)
    assert second != first and str(subscription["WebhookID"]) == second
    assert subscription["events"] == ["item.created", "item.deleted", "item.updated"]


async def test_unsubscribe_removes_it_and_tolerates_a_second_call(connector: TimsConnector) -> None:
    url = hook_url()
    subscription_id = await hooks_of(connector).subscribe(url, ["vendors"], SECRET)

    await hooks_of(connector).unsubscribe(subscription_id)
    await hooks_of(connector).unsubscribe(subscription_id)

    assert await subscriptions_to(connector, url) == []


async def test_an_entity_without_events_is_refused(connector: TimsConnector) -> None:
    with pytest.raises(ConfigError, match="accounts"):
        await hooks_of(connector).subscribe(hook_url(), ["accounts"], SECRET)


async def test_a_create_arrives_as_a_signed_delivery_read_as_an_upsert_notice(
    tims: Tims, connector: TimsConnector
) -> None:
    await hooks_of(connector).subscribe(hook_url(), ["customers"], SECRET)
    [created] = await connector.write([WriteOp(WriteKind.CREATE, "customers", {"CompanyName": "Uniform Gas"})])

    headers, body = await tims.receiver.wait_for(lambda h, b: json.loads(b)["resource"]["id"] == int(created.id or 0))
    [notice] = hooks_of(connector).parse(headers, body, SECRET)

    assert (notice.entity, notice.id, notice.kind, notice.version) == ("customers", created.id, "upsert", "1")
    assert notice.event_id == headers["x-tims-event-id"] and notice.event_id.startswith("evt_")
    assert notice.record is not None and notice.record.data["CompanyName"] == "Uniform Gas"
    assert notice.occurred_at == notice.record.modified_at


async def test_a_delete_arrives_as_a_delete_notice(tims: Tims, connector: TimsConnector) -> None:
    await hooks_of(connector).subscribe(hook_url(), ["customers"], SECRET)
    [created] = await connector.write([WriteOp(WriteKind.CREATE, "customers", {"CompanyName": "Victor Valves"})])
    assert created.id is not None
    await connector.write([WriteOp(WriteKind.DELETE, "customers", id=created.id)])

    headers, body = await tims.receiver.wait_for(
        lambda h, b: h["x-tims-event"] == "customer.deleted" and json.loads(b)["resource"]["id"] == int(created.id)
    )
    [notice] = hooks_of(connector).parse(headers, body, SECRET)

    assert (notice.kind, notice.version) == ("delete", "2") and notice.record is not None and notice.record.deleted


def signed(body: bytes, secret: str = SECRET, at: float | None = None) -> dict[str, str]:
    timestamp = str(int(time.time() if at is None else at))
    return {
        "X-TIMS-Timestamp": timestamp,
        "X-TIMS-Signature": signature(secret, timestamp, body),
        "X-TIMS-Event-Id": "e",
    }


BODY = json.dumps(
    {"id": "e", "event": "item.updated", "resource": {"collection": "items", "id": 20001, "version": 4}}
).encode()


def test_a_delivery_signed_with_another_secret_is_refused(connector: TimsConnector) -> None:
    with pytest.raises(AuthError, match="signature"):
        hooks_of(connector).parse(signed(BODY, secret="someone-else"), BODY, SECRET)


def test_an_altered_body_is_refused(connector: TimsConnector) -> None:
    with pytest.raises(AuthError, match="signature"):
        hooks_of(connector).parse(signed(BODY), BODY.replace(b"4", b"5"), SECRET)


def test_an_unsigned_delivery_is_refused(connector: TimsConnector) -> None:
    with pytest.raises(AuthError, match="not signed"):
        hooks_of(connector).parse({"X-TIMS-Event-Id": "e"}, BODY, SECRET)


def test_a_stale_delivery_is_refused_as_a_replay(connector: TimsConnector) -> None:
    later = TimsWebhooks(connector.client, clock=lambda: time.time() + 301)

    with pytest.raises(AuthError, match="window"):
        later.parse(signed(BODY), BODY, SECRET)


def test_a_delivery_within_the_window_is_accepted_without_data(connector: TimsConnector) -> None:
    [notice] = hooks_of(connector).parse(signed(BODY, at=time.time() - 200), BODY, SECRET)

    assert (notice.entity, notice.id, notice.version, notice.record) == ("items", "20001", "4", None)


@pytest.mark.parametrize("body", [b"not json", b'{"event": "item.updated"}', b'{"event": 1, "resource": {}}'])
def test_a_malformed_delivery_is_a_validation_error(connector: TimsConnector, body: bytes) -> None:
    with pytest.raises(ValidationError):
        hooks_of(connector).parse(signed(body), body, SECRET)


async def test_the_connections_webhook_secret_is_used_when_none_is_given(tims: Tims) -> None:
    connector = TimsConnector(tims.config(webhook_secret=SECRET))
    try:
        [notice] = hooks_of(connector).parse(signed(BODY), BODY, "")
    finally:
        await connector.aclose()

    assert notice.id == "20001"


def test_without_any_secret_nothing_is_accepted(connector: TimsConnector) -> None:
    with pytest.raises(AuthError, match="webhook_secret"):
        hooks_of(connector).parse(signed(BODY, secret=""), BODY, "")
