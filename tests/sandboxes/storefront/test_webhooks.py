from __future__ import annotations

import httpx
import pytest

from ferry.sandboxes.storefront import StorefrontSandbox
from tests.sandboxes.storefront.conftest import API, Receiver, in_stock_variant, settle, subscribe


async def _place_order(api: httpx.AsyncClient) -> None:
    variant = await in_stock_variant(api)
    r = await api.post(f"{API}/orders.json", json={"order": {"line_items": [{"variant_id": variant["id"]}]}})
    assert r.status_code == 201


async def test_invalid_topic_is_a_422_listing_the_allowed_topics(api: httpx.AsyncClient) -> None:
    body = {"webhook": {"topic": "orders/update", "address": "https://hooks.test/hooks/a", "format": "json"}}
    r = await api.post(f"{API}/webhooks.json", json=body)
    assert r.status_code == 422
    [message] = r.json()["errors"]["topic"]
    assert message.startswith("Invalid topic specified: orders/update.")
    assert "orders/updated" in message


async def test_same_address_twice_for_a_topic_is_taken(api: httpx.AsyncClient) -> None:
    await subscribe(api, "customers/create")
    body = {"webhook": {"topic": "customers/create", "address": "https://hooks.test/hooks/a", "format": "json"}}
    r = await api.post(f"{API}/webhooks.json", json=body)
    assert r.json() == {"errors": {"address": ["for this topic has already been taken"]}}


async def test_subscriptions_can_be_read_counted_changed_and_deleted(api: httpx.AsyncClient) -> None:
    hook = await subscribe(api, "products/update")
    url = f"{API}/webhooks/{hook['id']}.json"
    moved = await api.put(url, json={"webhook": {"id": hook["id"], "address": "https://hooks.test/hooks/b"}})
    count = (await api.get(f"{API}/webhooks/count.json", params={"topic": "products/update"})).json()["count"]
    deleted = await api.delete(url)
    assert moved.json()["webhook"]["address"] == "https://hooks.test/hooks/b"
    assert count == 1
    assert deleted.status_code == 200
    assert (await api.get(url)).status_code == 404


async def test_webhook_id_is_stable_across_retries_and_event_id_is_shared_by_subscriptions(
    sandbox: StorefrontSandbox, api: httpx.AsyncClient, receiver: Receiver
) -> None:
    await subscribe(api, "orders/create", name="a")
    await subscribe(api, "orders/create", name="b")
    receiver.status, receiver.recover_after = 503, 4  # a few attempts fail, then it answers
    await _place_order(api)
    await settle(sandbox)
    by_name: dict[str, set[str]] = {}
    for d in receiver.deliveries:
        by_name.setdefault(d.name, set()).add(d.headers["x-shopify-webhook-id"])
    events = {d.headers["x-shopify-event-id"] for d in receiver.deliveries}
    assert len(receiver.deliveries) > 2
    assert all(len(ids) == 1 for ids in by_name.values())
    assert by_name["a"] != by_name["b"]
    assert len(events) == 1


@pytest.mark.parametrize("status", [500, 302])
async def test_a_receiver_failing_every_retry_loses_its_subscription(
    sandbox: StorefrontSandbox, api: httpx.AsyncClient, receiver: Receiver, status: int
) -> None:
    await subscribe(api, "orders/create")
    receiver.status = status
    await _place_order(api)
    await settle(sandbox)
    remaining = (await api.get(f"{API}/webhooks/count.json")).json()["count"]
    assert len(receiver.deliveries) == 1 + 8  # the first attempt and 8 retries
    assert remaining == 0


async def test_a_delivery_that_succeeds_on_retry_keeps_the_subscription(
    sandbox: StorefrontSandbox, api: httpx.AsyncClient, receiver: Receiver
) -> None:
    await subscribe(api, "orders/create")
    receiver.status, receiver.recover_after = 500, 3
    await _place_order(api)
    await settle(sandbox)
    assert len(receiver.deliveries) == 4
    assert (await api.get(f"{API}/webhooks/count.json")).json()["count"] == 1


async def test_generated_checkouts_fire_orders_create(
    sandbox: StorefrontSandbox, api: httpx.AsyncClient, receiver: Receiver
) -> None:
    await subscribe(api, "orders/create")
    r = await api.post("/_sandbox/generate", json={"entity": "orders", "count": 3, "wait": True})
    await settle(sandbox)
    assert len(r.json()["ids"]) == 3
    assert receiver.topics() == ["orders/create"] * 3
