"""Webhook subscriptions on the sandbox, and verifying its signed deliveries."""

from __future__ import annotations

import json

import pytest

from ferry.connectors.storefront import StorefrontConnector, StorefrontWebhooks
from ferry.core.errors import AuthError, ConfigError, ValidationError
from ferry.core.records import WriteKind, WriteOp
from tests.connectors.storefront.conftest import Shop, drain

HOOK = "http://localhost/hooks"


def hooks(connector: StorefrontConnector) -> StorefrontWebhooks:
    assert isinstance(connector.webhooks, StorefrontWebhooks)
    return connector.webhooks


def subscriptions(shop: Shop) -> dict[str, str]:
    with shop.sandbox.lock:
        return {str(s.id): s.topic for s in shop.sandbox.store.subscriptions.values()}


async def test_subscribe_is_idempotent_and_follows_the_entities(shop: Shop, connector: StorefrontConnector) -> None:
    first = await hooks(connector).subscribe(HOOK, ["customers", "orders"], "")
    assert sorted(subscriptions(shop).values()) == sorted(
        ["customers/create", "customers/update", "customers/delete", "orders/create", "orders/updated", "orders/delete"]
    )
    assert set(first.split(",")) == set(subscriptions(shop))

    assert await hooks(connector).subscribe(HOOK, ["orders", "customers"], "") == first
    assert len(subscriptions(shop)) == 6

    only_orders = await hooks(connector).subscribe(HOOK, ["orders"], "")
    assert sorted(subscriptions(shop).values()) == ["orders/create", "orders/delete", "orders/updated"]
    assert set(only_orders.split(",")) < set(first.split(","))

    await hooks(connector).unsubscribe(only_orders)
    assert subscriptions(shop) == {}
    await hooks(connector).unsubscribe(only_orders)  # already gone: no error

    with pytest.raises(ConfigError, match="no webhooks for carts"):
        await hooks(connector).subscribe(HOOK, ["carts"], "")


async def test_a_signed_delivery_becomes_a_notice_and_a_forged_one_is_refused(
    shop: Shop, connector: StorefrontConnector
) -> None:
    await hooks(connector).subscribe(HOOK, ["customers"], "")
    customers, _, _ = await drain(connector, "customers")
    target = customers[0].id
    await connector.write([WriteOp(WriteKind.UPDATE, "customers", {"note": "pushed"}, id=target)])

    headers, body = await shop.receiver.wait_for(lambda h, b: h.get("x-shopify-topic") == "customers/update")
    secret = shop.credentials["webhook_secret"]
    [notice] = hooks(connector).parse(headers, body, secret)
    assert (notice.entity, notice.id, notice.kind) == ("customers", target, "upsert")
    assert notice.record is not None and notice.record.data["note"] == "pushed"
    assert notice.event_id == headers["x-shopify-webhook-id"]
    assert notice.occurred_at is not None and notice.occurred_at.tzinfo is not None

    # No secret given: the connection's webhook_secret is used.
    assert hooks(connector).parse(headers, body, "")[0].id == target

    forged = json.dumps({**json.loads(body), "note": "forged"}).encode()
    with pytest.raises(AuthError, match="does not match"):
        hooks(connector).parse(headers, forged, secret)
    with pytest.raises(AuthError, match="does not match"):
        hooks(connector).parse(headers, body, "the-wrong-secret")
    unsigned = {k: v for k, v in headers.items() if k != "x-shopify-hmac-sha256"}
    with pytest.raises(AuthError, match="not signed"):
        hooks(connector).parse(unsigned, body, secret)


async def test_inventory_and_fulfillment_deliveries(shop: Shop, connector: StorefrontConnector) -> None:
    await hooks(connector).subscribe(HOOK, ["inventory_levels"], "")
    levels, _, _ = await drain(connector, "inventory_levels")
    await connector.write([WriteOp(WriteKind.UPDATE, "inventory_levels", {"available": 3}, id=levels[0].id)])

    headers, body = await shop.receiver.wait_for(lambda h, b: h.get("x-shopify-topic") == "inventory_levels/update")
    [notice] = hooks(connector).parse(headers, body, shop.credentials["webhook_secret"])
    assert notice.entity == "inventory_levels" and notice.id == levels[0].id
    assert notice.record is not None and notice.record.data["available"] == 3


def test_a_delivery_on_an_unknown_topic_or_with_a_bad_body_is_invalid(connector: StorefrontConnector) -> None:
    from ferry.connectors.storefront.webhooks import signature

    body = b'{"id": 1}'
    headers = {"X-Shopify-Topic": "carts/update", "X-Shopify-Hmac-Sha256": signature("s", body)}
    with pytest.raises(ValidationError, match="carts/update"):
        hooks(connector).parse(headers, body, "s")
    bad = b"not json"
    headers = {"X-Shopify-Topic": "orders/updated", "X-Shopify-Hmac-Sha256": signature("s", bad)}
    with pytest.raises(ValidationError, match="not JSON"):
        hooks(connector).parse(headers, bad, "s")
    deleted = b'{"id": 42}'
    headers = {"X-Shopify-Topic": "customers/delete", "X-Shopify-Hmac-Sha256": signature("s", deleted)}
    [notice] = hooks(connector).parse(headers, deleted, "s")
    assert (notice.id, notice.kind, notice.record) == ("42", "delete", None)
