from __future__ import annotations

import json

import httpx

from ferry.sandboxes.storefront import StorefrontSandbox
from tests.sandboxes.storefront.conftest import API, Receiver, in_stock_variant, settle, subscribe


async def _order_with_two_lines(api: httpx.AsyncClient) -> dict:  # type: ignore[type-arg]
    products = (await api.get(f"{API}/products.json", params={"limit": 250, "status": "active"})).json()["products"]
    variants = [v for p in products for v in p["variants"] if v["inventory_quantity"] > 5][:2]
    lines = [{"variant_id": v["id"], "quantity": 2} for v in variants]
    body = {"order": {"line_items": lines, "inventory_behaviour": "decrement_ignoring_policy"}}
    order: dict = (await api.post(f"{API}/orders.json", json=body)).json()["order"]  # type: ignore[type-arg]
    return order


async def test_fulfillment_with_tracking_completes_the_order_and_fires_webhooks(
    sandbox: StorefrontSandbox, api: httpx.AsyncClient, receiver: Receiver
) -> None:
    for topic in ("fulfillments/create", "orders/fulfilled"):
        await subscribe(api, topic, name=topic.replace("/", "-"))
    order = await _order_with_two_lines(api)
    [fo] = (await api.get(f"{API}/orders/{order['id']}/fulfillment_orders.json")).json()["fulfillment_orders"]
    body = {"fulfillment": {"line_items_by_fulfillment_order": [{"fulfillment_order_id": fo["id"]}],
                            "tracking_info": {"number": "1Z999AA10123456784", "company": "UPS"}}}  # fmt: skip
    r = await api.post(f"{API}/fulfillments.json", json=body)
    await settle(sandbox)
    after = (await api.get(f"{API}/orders/{order['id']}.json")).json()["order"]
    assert r.status_code == 201
    assert after["fulfillment_status"] == "fulfilled"
    assert after["fulfillments"][0]["tracking_number"] == "1Z999AA10123456784"
    assert after["fulfillments"][0]["tracking_url"].startswith("https://www.ups.com/")
    assert sorted(receiver.topics()) == ["fulfillments/create", "orders/fulfilled"]
    created = next(d for d in receiver.deliveries if d.name == "fulfillments-create")
    assert json.loads(created.body)["order_id"] == order["id"]


async def test_partial_fulfillment_leaves_the_rest_to_ship(api: httpx.AsyncClient) -> None:
    order = await _order_with_two_lines(api)
    [fo] = (await api.get(f"{API}/orders/{order['id']}/fulfillment_orders.json")).json()["fulfillment_orders"]
    first = fo["line_items"][0]
    wanted = [{"id": first["id"], "quantity": 1}]
    group = {"fulfillment_order_id": fo["id"], "fulfillment_order_line_items": wanted}
    body = {"fulfillment": {"line_items_by_fulfillment_order": [group]}}
    assert (await api.post(f"{API}/fulfillments.json", json=body)).status_code == 201
    after = (await api.get(f"{API}/orders/{order['id']}.json")).json()["order"]
    [fo_after] = (await api.get(f"{API}/orders/{order['id']}/fulfillment_orders.json")).json()["fulfillment_orders"]
    assert after["fulfillment_status"] == "partial"
    assert fo_after["status"] == "in_progress"
    assert fo_after["line_items"][0]["fulfillable_quantity"] == 1


async def test_shipping_more_than_remains_is_refused(api: httpx.AsyncClient) -> None:
    order = await _order_with_two_lines(api)
    [fo] = (await api.get(f"{API}/orders/{order['id']}/fulfillment_orders.json")).json()["fulfillment_orders"]
    line = fo["line_items"][0]
    wanted = [{"id": line["id"], "quantity": 3}]
    group = {"fulfillment_order_id": fo["id"], "fulfillment_order_line_items": wanted}
    body = {"fulfillment": {"line_items_by_fulfillment_order": [group]}}
    r = await api.post(f"{API}/fulfillments.json", json=body)
    assert r.status_code == 422
    assert r.json()["errors"] == ["Invalid fulfillment order line item quantity requested."]


async def test_shipping_claimed_stock_keeps_available_and_update_tracking_changes_the_number(
    api: httpx.AsyncClient,
) -> None:
    variant = await in_stock_variant(api)
    location = (await api.get(f"{API}/locations.json")).json()["locations"][0]
    levels_url = f"{API}/inventory_levels.json?inventory_item_ids={variant['inventory_item_id']}"
    before = {lv["location_id"]: lv["available"] for lv in (await api.get(levels_url)).json()["inventory_levels"]}
    body = {"order": {"line_items": [{"variant_id": variant["id"], "quantity": 1}],
                      "inventory_behaviour": "decrement_ignoring_policy"}}  # fmt: skip
    order = (await api.post(f"{API}/orders.json", json=body)).json()["order"]
    [fo] = (await api.get(f"{API}/orders/{order['id']}/fulfillment_orders.json")).json()["fulfillment_orders"]
    claimed = {lv["location_id"]: lv["available"] for lv in (await api.get(levels_url)).json()["inventory_levels"]}
    shipped = await api.post(f"{API}/fulfillments.json", json={"fulfillment": {
        "line_items_by_fulfillment_order": [{"fulfillment_order_id": fo["id"]}]}})  # fmt: skip
    after = {lv["location_id"]: lv["available"] for lv in (await api.get(levels_url)).json()["inventory_levels"]}
    fid = shipped.json()["fulfillment"]["id"]
    tracking = {"fulfillment": {"tracking_info": {"number": "9400100000000000000000", "company": "USPS"}}}
    updated = await api.post(f"{API}/fulfillments/{fid}/update_tracking.json", json=tracking)
    assert claimed[fo["assigned_location_id"]] == before[fo["assigned_location_id"]] - 1
    assert after == claimed
    assert location["id"] in before
    assert updated.json()["fulfillment"]["tracking_number"] == "9400100000000000000000"
