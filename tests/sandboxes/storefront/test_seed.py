from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from ferry.sandboxes.kit import ManualClock
from ferry.sandboxes.storefront import StorefrontSandbox
from tests.sandboxes.storefront.conftest import API, client_for


async def _orders(sandbox: StorefrontSandbox) -> list[dict]:  # type: ignore[type-arg]
    async with client_for(sandbox) as api:
        r = await api.get(f"{API}/orders.json", params={"status": "any", "limit": 250})
    orders: list[dict] = r.json()["orders"]  # type: ignore[type-arg]
    return orders


async def test_the_same_seed_gives_the_same_shop() -> None:
    first = await _orders(StorefrontSandbox(seed=7, clock=ManualClock()))
    second = await _orders(StorefrontSandbox(seed=7, clock=ManualClock()))
    other = await _orders(StorefrontSandbox(seed=8, clock=ManualClock()))
    assert first == second
    assert [o["id"] for o in first] != [o["id"] for o in other]


async def test_seeded_orders_span_ninety_days_in_the_shops_offset() -> None:
    clock = ManualClock()
    orders = await _orders(StorefrontSandbox(clock=clock))
    created = [datetime.fromisoformat(o["created_at"]) for o in orders]
    assert len(orders) == 150
    assert all(clock.now() - timedelta(days=90) <= c <= clock.now() for c in created)
    assert {o["created_at"][-6:] for o in orders} <= {"-05:00", "-04:00"}
    assert {o["financial_status"] for o in orders} >= {"paid", "pending"}
    assert {o["fulfillment_status"] for o in orders} >= {None, "fulfilled"}
    assert any(f["tracking_number"] for o in orders for f in o["fulfillments"])
    assert all(isinstance(o["id"], int) and o["id"] > 2**40 for o in orders)


async def test_the_catalogue_is_web_shop_goods_with_some_multi_variant_products(api: httpx.AsyncClient) -> None:
    products = (await api.get(f"{API}/products.json", params={"limit": 250})).json()["products"]
    skus = [v["sku"] for p in products for v in p["variants"]]
    assert not any(s.startswith(("AR-", "OX-", "CO2-", "HE-")) for s in skus)
    assert sum(1 for p in products if len(p["variants"]) > 1) >= 3
    assert len(skus) == len(set(skus))


async def test_reset_brings_back_the_seeded_data(api: httpx.AsyncClient) -> None:
    before = (await api.get(f"{API}/customers/count.json")).json()["count"]
    await api.post(f"{API}/customers.json", json={"customer": {"first_name": "Temp", "email": "temp@example.com"}})
    await api.post("/_sandbox/reset", json={"seed": 42, "sizes": {"customers": 60, "orders": 40}})
    assert (await api.get(f"{API}/customers/count.json")).json()["count"] == before
