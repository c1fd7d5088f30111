"""The seeded data set: deterministic, realistic, and consistent with the API's own rules."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from ferry.sandboxes.kit import ManualClock, World
from ferry.sandboxes.tims import TimsSandbox
from tests.sandboxes.tims.conftest import SMALL, client_for, make_sandbox

COLLECTIONS = ("customers", "items", "sales-orders", "invoices", "payments", "shipments", "inventory", "gl-entries")


async def everything(sandbox: TimsSandbox) -> dict[str, list[dict[str, Any]]]:
    async with client_for(sandbox) as c:
        return {name: await all_of(c, name) for name in COLLECTIONS}


async def all_of(client: httpx.AsyncClient, collection: str) -> list[dict[str, Any]]:
    r = await client.get(f"/api/v1/{collection}", params={"pageSize": 500, "includeInactive": "true"})
    assert r.json()["nextPage"] is None
    data: list[dict[str, Any]] = r.json()["data"]
    return data


async def test_the_same_seed_gives_the_same_data() -> None:
    first = await everything(make_sandbox(seed=7))
    second = await everything(make_sandbox(seed=7))
    assert first == second


async def test_another_seed_gives_other_data() -> None:
    first = await everything(make_sandbox(seed=7))
    second = await everything(make_sandbox(seed=8))
    assert [c["CompanyName"] for c in first["customers"]] != [c["CompanyName"] for c in second["customers"]]
    assert first["sales-orders"] != second["sales-orders"]


async def test_default_sizes_seed_hundreds_of_records() -> None:
    data = await everything(make_sandbox(sizes=None))
    assert len(data["customers"]) == 300
    assert len(data["items"]) == len(World(42).products)
    assert len(data["sales-orders"]) == 150
    assert {row["Warehouse"] for row in data["inventory"]} == {"MAIN", "EAST"}


async def test_customers_are_the_world_companies_from_100_without_external_ids() -> None:
    data = await everything(make_sandbox(seed=5))
    expected = [c.name for c in World(5).companies(100 + SMALL["customers"])[100:]]
    by_id = sorted(data["customers"], key=lambda c: c["CustomerID"])
    assert [c["CompanyName"] for c in by_id] == expected
    assert all(c["ExternalID"] is None for c in by_id)


async def test_seeded_changes_fall_in_the_last_ninety_days(clock: ManualClock) -> None:
    data = await everything(make_sandbox(clock=clock))
    stamps = [datetime.fromisoformat(r["ModifiedAt"]) for rows in data.values() for r in rows]
    assert min(stamps) >= clock.now() - timedelta(days=90)
    assert max(stamps) < clock.now()


async def test_seeded_orders_span_their_lifecycle() -> None:
    data = await everything(make_sandbox(sizes=None))
    statuses = {o["OrderStatus"] for o in data["sales-orders"]}
    assert {"Open", "Shipped", "Invoiced", "Closed"} <= statuses
    assert all(s["TrackingNumber"] for s in data["shipments"])


async def test_seeded_balances_follow_the_seeded_payments() -> None:
    data = await everything(make_sandbox(sizes=None))
    paid: dict[int, Decimal] = defaultdict(Decimal)
    for payment in data["payments"]:
        paid[payment["InvoiceID"]] += Decimal(payment["Amount"])
    assert data["payments"]
    for invoice in data["invoices"]:
        assert Decimal(invoice["Balance"]) == Decimal(invoice["Total"]) - paid[invoice["InvoiceID"]]


async def test_seeded_stock_is_consistent() -> None:
    data = await everything(make_sandbox(sizes=None))
    held: dict[tuple[str, str], int] = defaultdict(int)
    for order in data["sales-orders"]:
        if order["OrderStatus"] == "Allocated":
            for line in order["Lines"]:
                held[(line["SKU"], order["Warehouse"])] += line["Quantity"]
    for row in data["inventory"]:
        assert row["Allocated"] == held[(row["SKU"], row["Warehouse"])]
        assert row["Available"] == row["OnHand"] - row["Allocated"] >= 0


async def test_reset_restores_the_seeded_state(sandbox: TimsSandbox) -> None:
    before = await everything(sandbox)
    async with client_for(sandbox) as c:
        await c.post("/api/v1/customers", json={"CompanyName": "Temporary"})
        r = await c.post("/_sandbox/reset", json={})
    assert r.status_code == 200
    assert await everything(sandbox) == before


async def test_sizes_set_how_many_records_are_seeded() -> None:
    data = await everything(make_sandbox(sizes={"customers": 12, "items": 20, "sales-orders": 5}))
    assert (len(data["customers"]), len(data["items"])) == (12, 20)
    assert len(data["sales-orders"]) <= 5
