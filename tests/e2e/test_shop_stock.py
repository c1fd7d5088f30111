"""Shop stock: what TIMS has available of an item becomes the storefront's stock level of that SKU at the
shop location its warehouse feeds; items the shop does not sell are skipped with the reason, and a
throttled or unavailable shop gets the level later, once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ferry import mapping
from ferry.project.templates import load_template
from ferry.sandboxes.dynamics365 import Dynamics365Sandbox
from ferry.sandboxes.kit.server import running
from ferry.sandboxes.storefront import ACCESS_TOKEN, StorefrontSandbox
from ferry.sandboxes.tims import TimsSandbox
from tests.e2e.conftest import Harness, Systems, eventually, live, make_project, polled, quiet

SYNC = "shop-stock"
COLUMBUS = 71013579357  # the sandbox shop's primary location, fed by the TIMS warehouse MAIN
SET_LEVEL = "POST /admin/api/2025-07/inventory_levels/set.json"


@pytest.fixture
def systems() -> Iterator[Systems]:
    d365 = Dynamics365Sandbox(sizes={"accounts": 2, "vendors": 1, "salesorders": 0, "msdyn_purchaseorders": 0})
    tims = TimsSandbox(sizes={"customers": 3, "vendors": 1, "sales-orders": 0, "purchase-orders": 0})
    shop = StorefrontSandbox(sizes={"customers": 2, "orders": 0})
    with running(d365) as d365_url, running(tims) as tims_url, running(shop) as shop_url:
        yield Systems(d365, d365_url, tims, tims_url, shop, shop_url)


async def fast_shop_project(root: Path, systems: Systems) -> None:
    """The template with only this sync, and the sandbox shop's bucket (2 calls a second, which would make
    the first run take minutes) widened on both ends."""
    make_project(root, systems, syncs=(SYNC,))
    text = (root / "ferry.yaml").read_text()
    text = text.replace(
        "    webhook_secret: ${secret:shop-webhook-secret}\n",
        "    webhook_secret: ${secret:shop-webhook-secret}\n    bucket_size: 400\n    leak_rate: 200\n",
    )
    (root / "ferry.yaml").write_text(text)
    async with httpx.AsyncClient(base_url=systems.shop_url) as control:
        await control.post("/_sandbox/faults", json={"rate_limit": {"requests": 400, "per_seconds": 1}})


@pytest.fixture
async def harness(tmp_path: Path, systems: Systems) -> AsyncIterator[Harness]:
    await fast_shop_project(tmp_path / "project", systems)
    async with polled(tmp_path / "project", systems, workers=16) as h:
        for breaker in h.engine.breakers.values():
            breaker.cooldown = 0.5  # the default 30 s would only make an outage test slow
        yield h


@pytest.fixture
async def shop(systems: Systems) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=f"{systems.shop_url}/admin/api/2025-07/", headers={"X-Shopify-Access-Token": ACCESS_TOKEN}, timeout=30
    ) as client:
        yield client


async def shop_available(shop: httpx.AsyncClient, sku: str) -> int:
    products = (await shop.get("products.json", params={"limit": "250"})).json()["products"]
    [item] = [v["inventory_item_id"] for p in products for v in p["variants"] if v["sku"] == sku]
    params = {"inventory_item_ids": str(item), "location_ids": str(COLUMBUS)}
    [level] = (await shop.get("inventory_levels.json", params=params)).json()["inventory_levels"]
    return int(level["available"])


async def sold_skus(shop: httpx.AsyncClient) -> set[str]:
    products = (await shop.get("products.json", params={"limit": "250"})).json()["products"]
    return {v["sku"] for p in products for v in p["variants"] if v["sku"]}


async def tims_row(h: Harness, sku: str) -> dict[str, Any]:
    return dict((await h.tims.get(f"inventory/{sku}/MAIN")).json())


async def set_calls(h: Harness) -> int:
    return int((await h.control["shop"].get("/_sandbox/stats")).json()["by_route"].get(SET_LEVEL, 0))


async def skip_note(h: Harness, record_id: str) -> str:
    trail = await h.assembly.store.audit_trail(SYNC, "right", record_id)
    notes = [entry.detail.get("note") for entry in trail if entry.action == "skipped"]
    assert notes, f"{record_id} was not skipped: {trail}"
    return str(notes[-1])


async def a_stocked_sku(h: Harness, shop: httpx.AsyncClient) -> str:
    for sku in sorted(await sold_skus(shop)):
        if (await tims_row(h, sku)).get("Available", 0) >= 10:
            return sku
    raise AssertionError("TIMS has ten of no item the shop sells")


async def test_tims_stock_reaches_the_shop_and_unsold_items_are_skipped_with_the_reason(
    harness: Harness, shop: httpx.AsyncClient
) -> None:
    h = harness
    outcomes = await h.sync()
    assert outcomes.get("dead", 0) == 0 and outcomes.get("skipped", 0) > 0, outcomes
    assert await h.assembly.store.dead_letters(sync=SYNC) == []

    sku = await a_stocked_sku(h, shop)
    assert await shop_available(shop, sku) == (await tims_row(h, sku))["Available"]
    # Gas cylinders are not sold online: skipped, saying so, not dead-lettered and not written.
    sold = await sold_skus(shop)
    rows = (await h.tims.get("inventory", params={"Warehouse": "MAIN", "pageSize": "500"})).json()["data"]
    unsold = next(r["SKU"] for r in rows if r["SKU"] not in sold)
    assert await skip_note(h, f"{unsold}/MAIN") == f"the shop sells no SKU {unsold} at location {COLUMBUS}"
    assert "warehouse EAST feeds no shop location" in await skip_note(h, f"{sku}/EAST")
    calls = await set_calls(h)
    assert await h.sync() == {}  # settled: nothing is set again

    # A stock write-off in TIMS reaches the shop, as one call.
    before = (await tims_row(h, sku))["Available"]
    r = await h.tims.post(
        "inventory-adjustments", json={"SKU": sku, "Warehouse": "MAIN", "QuantityDelta": -4, "Reason": "Damaged"}
    )
    assert r.status_code == 201, r.text
    assert (await h.sync()).get("updated") == 1
    assert await shop_available(shop, sku) == before - 4
    assert await set_calls(h) == calls + 1

    # So does a shipment out of the MAIN warehouse.
    customer = (await h.tims.get("customers", params={"pageSize": "1"})).json()["data"][0]["CustomerID"]
    order = await h.tims.post("sales-orders", json={"CustomerID": customer, "Lines": [{"SKU": sku, "Quantity": 3}]})
    assert order.status_code == 201, order.text
    shipped = await h.tims.post("shipments", json={"SalesOrderID": order.json()["SalesOrderID"], "Carrier": "UPS"})
    assert shipped.status_code == 201, shipped.text
    await h.sync()
    assert await shop_available(shop, sku) == before - 7 == (await tims_row(h, sku))["Available"]
    assert await set_calls(h) == calls + 2
    assert await h.sync() == {}

    # Stock allocated to an order is no longer available: the shop hears of it. Shipping that order
    # changes TIMS's row (on hand and allocated both drop) but not what is available: the shop is not called.
    order = await h.tims.post("sales-orders", json={"CustomerID": customer, "Lines": [{"SKU": sku, "Quantity": 2}]})
    allocated = await h.tims.patch(f"sales-orders/{order.json()['SalesOrderID']}", json={"OrderStatus": "Allocated"})
    assert allocated.status_code == 200, allocated.text
    await h.sync()
    assert await shop_available(shop, sku) == before - 9
    assert await set_calls(h) == calls + 3
    shipped = await h.tims.post("shipments", json={"SalesOrderID": order.json()["SalesOrderID"], "Carrier": "UPS"})
    assert shipped.status_code == 201, shipped.text
    assert (await h.sync()).get("settled") == 1  # TIMS's row changed; the level already says so
    assert (await tims_row(h, sku))["OnHand"] == (await tims_row(h, sku))["Available"] == before - 9
    assert await set_calls(h) == calls + 3


async def test_a_throttled_or_unavailable_shop_gets_the_level_later_once(
    harness: Harness, shop: httpx.AsyncClient
) -> None:
    h = harness
    await h.sync()
    sku = await a_stocked_sku(h, shop)
    control = h.control["shop"]
    record = f"{sku}/MAIN"
    first = [e.action for e in await h.assembly.store.audit_trail(SYNC, "right", record)].count("updated")

    # Three 429s (Retry-After 2.0) on the write of the level: it is set after them, once.
    calls = await set_calls(h)
    faults = {"error_next": 3, "error_status": 429, "path_prefix": "/admin/api/2025-07/inventory_levels/set"}
    await control.post("/_sandbox/faults", json=faults)
    await h.tims.post(
        "inventory-adjustments", json={"SKU": sku, "Warehouse": "MAIN", "QuantityDelta": -2, "Reason": "Count"}
    )
    outcomes = await h.sync()
    assert outcomes.get("retry", 0) >= 3 and outcomes.get("updated") == 1, outcomes
    assert await shop_available(shop, sku) == (await tims_row(h, sku))["Available"]
    assert await set_calls(h) == calls + 3 + 1  # three refused, one that took

    # The shop down altogether for a while (every call a 503): the level arrives once it is back.
    await control.post("/_sandbox/faults", json={"error_rate": 1.0, "error_status": 503, "path_prefix": None})
    await h.tims.post(
        "inventory-adjustments", json={"SKU": sku, "Warehouse": "MAIN", "QuantityDelta": 5, "Reason": "Found"}
    )
    settling = asyncio.create_task(h.sync())
    await asyncio.sleep(2)
    assert not settling.done()
    assert await shop_available_raw(h, sku) != (await tims_row(h, sku))["Available"]
    await control.post("/_sandbox/faults", json={"error_rate": 0.0})
    outcomes = await settling
    assert outcomes.get("updated") == 1 and outcomes.get("dead", 0) == 0, outcomes
    assert await shop_available(shop, sku) == (await tims_row(h, sku))["Available"]
    assert await h.sync() == {}
    trail = await h.assembly.store.audit_trail(SYNC, "right", record)
    assert [e.action for e in trail].count("updated") == first + 2  # one per change, however many tries


async def test_served_a_tims_change_reaches_the_shop_through_the_webhooks(
    tmp_path: Path, systems: Systems, shop: httpx.AsyncClient
) -> None:
    root = tmp_path / "project"
    await fast_shop_project(root, systems)
    async with live(root, systems) as h:
        await quiet(h, within=120)  # the first run: every TIMS row read, the shop's levels set
        sku = await a_stocked_sku(h, shop)
        assert await shop_available(shop, sku) == (await tims_row(h, sku))["Available"]
        r = await h.tims.post(
            "inventory-adjustments", json={"SKU": sku, "Warehouse": "MAIN", "QuantityDelta": -1, "Reason": "Sample"}
        )
        assert r.status_code == 201, r.text
        wanted = (await tims_row(h, sku))["Available"]

        async def arrived() -> bool:
            return await shop_available(shop, sku) == wanted

        await eventually(arrived, within=30)  # polling is a minute away: the TIMS webhook brought it


async def shop_available_raw(h: Harness, sku: str) -> int:
    """The level as the sandbox holds it, read past the faults of its API."""
    assert h.systems.shop is not None
    store = h.systems.shop.store
    [item] = [v["inventory_item_id"] for p in store.products for v in p.doc["variants"] if v["sku"] == sku]
    return int(store.levels[(item, COLUMBUS)].available)


def test_stock_sent_to_the_shop_is_never_below_zero() -> None:
    stock = mapping.load(load_template("dynamics365-tims").path / "mappings" / "tims-stock-to-shop.yaml")
    row = {"SKU": "WR-6011", "Warehouse": "MAIN", "OnHand": 2, "Allocated": 5, "Available": -3}
    assert stock.apply(row, context={"target_id": "1/2"}) == {"available": 0}
    assert stock.apply({**row, "Available": 7}, context={"target_id": "1/2"}) == {"available": 7}
    assert stock.apply(row, creating=True)["location_id"] == COLUMBUS
