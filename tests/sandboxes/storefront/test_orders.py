from __future__ import annotations

import base64
import hashlib
import hmac
import json
from decimal import Decimal

import httpx

from ferry.sandboxes.storefront import StorefrontSandbox
from tests.sandboxes.storefront.conftest import API, Receiver, in_stock_variant, settle, subscribe


async def _checkout(api: httpx.AsyncClient, quantity: int = 2) -> httpx.Response:
    variant = await in_stock_variant(api)
    body = {
        "order": {
            "email": "dana.smith@example.com",
            "line_items": [{"variant_id": variant["id"], "quantity": quantity}],
            "shipping_address": {"first_name": "Dana", "last_name": "Smith", "address1": "1 Main St",
                                 "city": "Austin", "province_code": "TX", "zip": "78701", "country_code": "US"},
            "shipping_lines": [{"title": "Standard Shipping", "price": "9.95"}],
            "inventory_behaviour": "decrement_obeying_policy",
        }
    }  # fmt: skip
    return await api.post(f"{API}/orders.json", json=body)


async def test_created_order_adds_up_in_exact_decimals(api: httpx.AsyncClient) -> None:
    r = await _checkout(api, quantity=3)
    order = r.json()["order"]
    money = {k: Decimal(order[k]) for k in ("subtotal_price", "total_tax", "total_price", "total_line_items_price")}
    line = order["line_items"][0]
    assert r.status_code == 201
    assert money["total_line_items_price"] == Decimal(line["price"]) * 3
    assert money["total_price"] == money["subtotal_price"] + Decimal("9.95") + money["total_tax"]
    assert money["total_tax"] == sum(Decimal(t["price"]) for t in line["tax_lines"]) > 0
    assert all(len(order[k].split(".")[1]) == 2 for k in money)


async def test_orders_create_webhook_is_signed_with_the_client_secret(
    sandbox: StorefrontSandbox, api: httpx.AsyncClient, receiver: Receiver
) -> None:
    await subscribe(api, "orders/create")
    order = (await _checkout(api)).json()["order"]
    await settle(sandbox)
    secret = (await api.get("/_sandbox/credentials")).json()["webhook_secret"]
    [delivery] = receiver.deliveries
    expected = base64.b64encode(hmac.new(secret.encode(), delivery.body, hashlib.sha256).digest()).decode()
    assert hmac.compare_digest(delivery.headers["x-shopify-hmac-sha256"], expected)
    assert delivery.headers["x-shopify-topic"] == "orders/create"
    assert delivery.headers["x-shopify-shop-domain"] == "ferry-demo.myshopify.com"
    assert delivery.headers["x-shopify-api-version"] == "2025-07"
    assert json.loads(delivery.body)["id"] == order["id"]


async def test_orders_paid_fires_only_for_paid_orders(
    sandbox: StorefrontSandbox, api: httpx.AsyncClient, receiver: Receiver
) -> None:
    await subscribe(api, "orders/paid")
    variant = await in_stock_variant(api)
    line = [{"variant_id": variant["id"], "quantity": 1}]
    pending = await api.post(f"{API}/orders.json", json={"order": {"line_items": line, "financial_status": "pending"}})
    paid = await api.post(f"{API}/orders.json", json={"order": {"line_items": line}})
    await settle(sandbox)
    assert [json.loads(d.body)["id"] for d in receiver.deliveries] == [paid.json()["order"]["id"]]
    assert pending.json()["order"]["financial_status"] == "pending"


async def test_invalid_json_is_a_bad_request_naming_the_root(api: httpx.AsyncClient) -> None:
    r = await api.post(f"{API}/orders.json", content=b'{"order": ', headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.json() == {"errors": {"order": "Required parameter missing or invalid"}}


async def test_unknown_variant_is_a_422_with_field_errors(api: httpx.AsyncClient) -> None:
    r = await api.post(f"{API}/orders.json", json={"order": {"line_items": [{"variant_id": 1, "quantity": 1}]}})
    assert r.status_code == 422
    assert isinstance(r.json()["errors"]["line_items"], list)


async def test_unknown_order_id_is_not_found(api: httpx.AsyncClient) -> None:
    r = await api.get(f"{API}/orders/999999999.json")
    assert r.status_code == 404
    assert r.json() == {"errors": "Not Found"}


async def test_updated_at_min_finds_an_order_changed_later(sandbox: StorefrontSandbox, api: httpx.AsyncClient) -> None:
    some = (await api.get(f"{API}/orders.json", params={"limit": 1})).json()["orders"][0]
    sandbox.clock.advance(3600)  # type: ignore[attr-defined]
    since = sandbox.clock.now().isoformat()
    await api.put(f"{API}/orders/{some['id']}.json", json={"order": {"id": some["id"], "note": "call before delivery"}})
    changed = (await api.get(f"{API}/orders.json", params={"status": "any", "updated_at_min": since})).json()["orders"]
    assert [o["id"] for o in changed] == [some["id"]]
    assert changed[0]["note"] == "call before delivery"


async def test_cancel_releases_claimed_stock_and_closes_the_order(api: httpx.AsyncClient) -> None:
    order = (await _checkout(api, quantity=2)).json()["order"]
    variant_id = order["line_items"][0]["variant_id"]

    async def quantity() -> int:
        product = (await api.get(f"{API}/products/{order['line_items'][0]['product_id']}.json")).json()["product"]
        return int(next(v["inventory_quantity"] for v in product["variants"] if v["id"] == variant_id))

    before = await quantity()
    r = await api.post(f"{API}/orders/{order['id']}/cancel.json", json={"reason": "customer"})
    assert r.status_code == 200
    assert r.json()["order"]["cancelled_at"] and r.json()["order"]["closed_at"]
    assert await quantity() == before + 2


async def test_odd_values_are_refused_or_coerced_and_reads_keep_working(api: httpx.AsyncClient) -> None:
    some = (await api.get(f"{API}/orders.json", params={"limit": 1})).json()["orders"][0]
    url = f"{API}/orders/{some['id']}.json"
    odd_tags = await api.put(url, json={"order": {"tags": [{"a": 1}]}})
    huge_note = await api.put(url, json={"order": {"note": 10**20}})
    listing = await api.get(f"{API}/orders.json", params={"status": "any", "limit": 250})
    assert odd_tags.status_code == 422
    assert huge_note.json()["order"]["note"] == str(10**20)
    assert listing.status_code == 200
