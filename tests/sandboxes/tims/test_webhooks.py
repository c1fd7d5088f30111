"""Webhook subscriptions, signed deliveries, retries, and which writes fire which events."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from ferry.sandboxes.tims import TimsSandbox
from tests.sandboxes.tims.conftest import Receiver, client_for, make_sandbox, new_customer, place_order, stocked_sku

HOOK = "http://receiver.test/hook"


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
async def hooked(receiver: Receiver) -> AsyncIterator[TimsSandbox]:
    sb = make_sandbox(webhook_transport=receiver.transport, webhook_retry_delays=[0, 0, 0])
    yield sb
    await sb.aclose()


async def settle(sandbox: TimsSandbox) -> None:
    async with asyncio.timeout(5):
        await sandbox.webhooks.wait_idle()


async def subscribe(client: httpx.AsyncClient, events: list[str], secret: str | None = "whsec-test") -> int:
    body: dict[str, object] = {"url": HOOK, "events": events}
    if secret is not None:
        body["secret"] = secret
    r = await client.post("/api/v1/webhooks", json=body)
    assert r.status_code == 201, r.text
    webhook_id: int = r.json()["WebhookID"]
    return webhook_id


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


async def test_subscriptions_can_be_listed_read_and_removed(hooked: TimsSandbox) -> None:
    async with client_for(hooked) as c:
        webhook_id = await subscribe(c, ["customer.created"])
        listed = (await c.get("/api/v1/webhooks")).json()
        one = (await c.get(f"/api/v1/webhooks/{webhook_id}")).json()
        removed = await c.delete(f"/api/v1/webhooks/{webhook_id}")
        gone = await c.get(f"/api/v1/webhooks/{webhook_id}")
    assert [w["WebhookID"] for w in listed["data"]] == [webhook_id]
    assert one == {**listed["data"][0], "events": ["customer.created"], "url": HOOK}
    assert "secret" not in one
    assert (removed.status_code, gone.status_code) == (204, 404)


async def test_unknown_event_names_are_refused(hooked: TimsSandbox) -> None:
    async with client_for(hooked) as c:
        r = await c.post("/api/v1/webhooks", json={"url": HOOK, "events": ["customer.created", "customer.exploded"]})
    assert r.status_code == 400
    assert [e["field"] for e in r.json()["errors"]] == ["events[1]"]


async def test_a_delivery_is_signed_over_timestamp_and_raw_body(hooked: TimsSandbox, receiver: Receiver) -> None:
    async with client_for(hooked) as c:
        await subscribe(c, ["customer.created"], secret="whsec-test")
        created = await new_customer(c)
        await settle(hooked)
    [(headers, body)] = receiver.calls
    assert headers["x-tims-signature"] == signature("whsec-test", headers["x-tims-timestamp"], body)
    payload = json.loads(body)
    assert payload["id"] == headers["x-tims-event-id"]
    assert payload["event"] == "customer.created"
    assert payload["resource"] == {"collection": "customers", "id": created["CustomerID"], "version": 1}
    assert payload["data"] == created
    assert payload["occurredAt"] == created["ModifiedAt"]


async def test_without_its_own_secret_a_subscription_is_signed_with_the_default(
    hooked: TimsSandbox, receiver: Receiver
) -> None:
    async with client_for(hooked) as c:
        secret = (await c.get("/_sandbox/credentials")).json()["webhook_secret"]
        await subscribe(c, ["*"], secret=None)
        await new_customer(c)
        await settle(hooked)
    [(headers, body)] = receiver.calls
    assert headers["x-tims-signature"] == signature(secret, headers["x-tims-timestamp"], body)


async def test_a_failing_receiver_gets_the_same_event_again() -> None:
    receiver = Receiver(fail_first=2)
    sandbox = make_sandbox(webhook_transport=receiver.transport, webhook_retry_delays=[0, 0, 0])
    async with client_for(sandbox) as c:
        await subscribe(c, ["customer.created"])
        await new_customer(c)
        await settle(sandbox)
        stats = (await c.get("/_sandbox/stats")).json()["webhooks"]
    await sandbox.aclose()
    event_ids = {headers["x-tims-event-id"] for headers, _ in receiver.calls}
    assert len(receiver.calls) == 3
    assert len(event_ids) == 1
    assert stats == {"sent": 1, "failed": 2, "dropped": 0}


async def test_a_delivery_is_dropped_and_counted_after_the_last_retry() -> None:
    receiver = Receiver(fail_first=100)
    sandbox = make_sandbox(webhook_transport=receiver.transport, webhook_retry_delays=[0, 0])
    async with client_for(sandbox) as c:
        await subscribe(c, ["customer.created"])
        await new_customer(c)
        await settle(sandbox)
        stats = (await c.get("/_sandbox/stats")).json()["webhooks"]
    await sandbox.aclose()
    assert len(receiver.calls) == 3
    assert stats["dropped"] == 1


async def test_subscriptions_get_only_the_events_they_name(hooked: TimsSandbox, receiver: Receiver) -> None:
    async with client_for(hooked) as c:
        await subscribe(c, ["item.*"])
        customer = await new_customer(c)
        await c.patch(f"/api/v1/customers/{customer['CustomerID']}", json={"Phone": "1"})
        await c.post("/api/v1/items", json={"SKU": "CO2-20", "Description": "CO2 20 lb", "UnitPrice": "31.00"})
        await settle(hooked)
    assert receiver.events() == ["item.created"]


async def test_a_shipment_fires_events_for_everything_it_changes(hooked: TimsSandbox, receiver: Receiver) -> None:
    async with client_for(hooked) as c:
        customer = await new_customer(c)
        row = await stocked_sku(c)
        order = await place_order(c, customer["CustomerID"], row["SKU"], 2)
        await subscribe(c, ["*"])
        await c.post("/api/v1/shipments", json={"SalesOrderID": order["SalesOrderID"]})
        await settle(hooked)
    assert sorted(receiver.events()) == ["inventory.updated", "salesorder.updated", "shipment.created"]
    inventory = next(
        json.loads(body) for headers, body in receiver.calls if headers["x-tims-event"] == "inventory.updated"
    )
    assert inventory["resource"]["id"] == f"{row['SKU']}/MAIN"
    assert inventory["data"]["OnHand"] == row["OnHand"] - 2


async def test_a_delete_fires_a_deleted_event(hooked: TimsSandbox, receiver: Receiver) -> None:
    async with client_for(hooked) as c:
        customer = await new_customer(c)
        await subscribe(c, ["customer.deleted", "customer.updated"])
        await c.delete(f"/api/v1/customers/{customer['CustomerID']}")
        await settle(hooked)
    [(_, body)] = receiver.calls
    assert json.loads(body)["event"] == "customer.deleted"
    assert json.loads(body)["data"]["Status"] == "Inactive"


async def test_a_refused_write_fires_nothing(hooked: TimsSandbox, receiver: Receiver) -> None:
    async with client_for(hooked) as c:
        await subscribe(c, ["*"])
        await c.post("/api/v1/sales-orders", json={"CustomerID": 1, "Lines": [{"SKU": "OX-40", "Quantity": 1}]})
        await settle(hooked)
    assert receiver.calls == []


async def test_generated_activity_fires_webhooks(hooked: TimsSandbox, receiver: Receiver) -> None:
    async with client_for(hooked) as c:
        await subscribe(c, ["customer.created"])
        r = await c.post("/_sandbox/generate", json={"entity": "customers", "count": 3, "wait": True})
        await settle(hooked)
    ids = sorted(json.loads(body)["resource"]["id"] for _, body in receiver.calls)
    assert ids == sorted(int(i) for i in r.json()["ids"])
