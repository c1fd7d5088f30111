from __future__ import annotations

import json

import httpx

from ferry.sandboxes.storefront import StorefrontSandbox
from tests.sandboxes.storefront.conftest import API, Receiver, in_stock_variant, settle, subscribe


async def _level(api: httpx.AsyncClient, item: int, location: int) -> int:
    r = await api.get(f"{API}/inventory_levels.json", params={"inventory_item_ids": item, "location_ids": location})
    [level] = r.json()["inventory_levels"]
    return int(level["available"])


async def test_inventory_set_then_adjust(
    sandbox: StorefrontSandbox, api: httpx.AsyncClient, receiver: Receiver
) -> None:
    await subscribe(api, "inventory_levels/update")
    variant = await in_stock_variant(api)
    location = (await api.get(f"{API}/locations.json")).json()["locations"][0]["id"]
    target = {"inventory_item_id": variant["inventory_item_id"], "location_id": location}
    set_r = await api.post(f"{API}/inventory_levels/set.json", json={**target, "available": 17})
    adjust_r = await api.post(f"{API}/inventory_levels/adjust.json", json={**target, "available_adjustment": -5})
    await settle(sandbox)
    assert set_r.json()["inventory_level"]["available"] == 17
    assert adjust_r.json()["inventory_level"]["available"] == 12
    assert await _level(api, variant["inventory_item_id"], location) == 12
    assert [json.loads(d.body)["available"] for d in receiver.deliveries] == [17, 12]


async def test_adjusting_an_unknown_item_is_not_found(api: httpx.AsyncClient) -> None:
    location = (await api.get(f"{API}/locations.json")).json()["locations"][0]["id"]
    body = {"inventory_item_id": 1, "location_id": location, "available_adjustment": 1}
    assert (await api.post(f"{API}/inventory_levels/adjust.json", json=body)).status_code == 404


async def test_variant_quantity_sums_the_locations(api: httpx.AsyncClient) -> None:
    variant = await in_stock_variant(api)
    levels = (
        await api.get(f"{API}/inventory_levels.json", params={"inventory_item_ids": variant["inventory_item_id"]})
    ).json()
    assert sum(lv["available"] for lv in levels["inventory_levels"]) == variant["inventory_quantity"]


async def test_customer_search_by_email_and_duplicate_email_refused(api: httpx.AsyncClient) -> None:
    created = await api.post(
        f"{API}/customers.json", json={"customer": {"first_name": "Ada", "email": "ada@lovelace.example"}}
    )
    found = (await api.get(f"{API}/customers/search.json", params={"query": "email:ada@lovelace.example"})).json()
    again = await api.post(f"{API}/customers.json", json={"customer": {"email": "ADA@lovelace.example"}})
    assert created.status_code == 201
    assert [c["id"] for c in found["customers"]] == [created.json()["customer"]["id"]]
    assert again.status_code == 422
    assert again.json() == {"errors": {"email": ["has already been taken"]}}


async def test_customer_update_fires_customers_update(
    sandbox: StorefrontSandbox, api: httpx.AsyncClient, receiver: Receiver
) -> None:
    await subscribe(api, "customers/update")
    customer = (await api.get(f"{API}/customers.json", params={"limit": 1})).json()["customers"][0]
    r = await api.put(
        f"{API}/customers/{customer['id']}.json", json={"customer": {"id": customer["id"], "tags": "vip"}}
    )
    await settle(sandbox)
    assert r.json()["customer"]["tags"] == "vip"
    assert json.loads(receiver.deliveries[0].body)["tags"] == "vip"


async def test_product_without_title_is_a_422(api: httpx.AsyncClient) -> None:
    r = await api.post(f"{API}/products.json", json={"product": {"body_html": "nameless"}})
    assert r.status_code == 422
    assert r.json() == {"errors": {"title": ["can't be blank"]}}


async def test_created_product_variants_get_inventory_items(api: httpx.AsyncClient) -> None:
    body = {
        "product": {
            "title": "Chipping hammer",
            "variants": [{"sku": "CH-1", "price": "12.50"}, {"sku": "CH-2", "price": "14"}],
        }
    }
    product = (await api.post(f"{API}/products.json", json=body)).json()["product"]
    assert [v["price"] for v in product["variants"]] == ["12.50", "14.00"]
    assert all(isinstance(v["inventory_item_id"], int) for v in product["variants"])
    assert (await api.get(f"{API}/products/count.json")).json()["count"] >= 2
