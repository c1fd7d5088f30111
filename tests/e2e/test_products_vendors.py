"""Dynamics 365 products with TIMS items (TIMS the price master), and vendor accounts with TIMS vendors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Harness, Systems, polled


@pytest.fixture
async def products(tmp_path: Path, systems: Systems) -> AsyncIterator[Harness]:
    async with polled(tmp_path / "project", systems, syncs=("products",), workers=32) as h:
        yield h


@pytest.fixture
async def vendors(tmp_path: Path, systems: Systems) -> AsyncIterator[Harness]:
    async with polled(tmp_path / "project", systems, syncs=("vendors",)) as h:
        yield h


async def item(h: Harness, sku: str) -> dict[str, Any]:
    [found] = (await h.tims.get("items", params={"SKU": sku})).json()["data"]
    return dict(found)


async def product(h: Harness, number: str) -> dict[str, Any]:
    params = {"$filter": f"productnumber eq '{number}'", "$expand": "defaultuomid($select=name)"}
    [found] = (await h.d365.get("products", params=params)).json()["value"]
    return dict(found)


async def test_products_and_items_pair_by_sku_and_tims_sets_the_price(products: Harness) -> None:
    h = products
    existing = (await h.tims.get("items", params={"pageSize": "500"})).json()["data"]
    outcomes = await h.sync()
    assert outcomes.get("created", 0) == 0 and outcomes.get("dead", 0) == 0  # every SKU exists on both sides
    after = (await h.tims.get("items", params={"pageSize": "500"})).json()["data"]
    assert len(after) == len(existing)
    assert all(i["ExternalID"] for i in after)  # each item now names its product

    sku = after[0]["SKU"]
    # A price changed in TIMS, the price master, reaches Dynamics...
    r = await h.tims.patch(f"items/{after[0]['ItemID']}", json={"UnitPrice": "123.45"})
    assert r.status_code == 200, r.text
    await h.sync()
    assert Decimal(str((await product(h, sku))["price"])) == Decimal("123.45")

    # ...a price changed in Dynamics does not reach TIMS, while its name does.
    row = await product(h, sku)
    r = await h.d365.patch(f"products({row['productid']})", json={"price": 99, "name": "Renamed in Dynamics"})
    assert r.status_code == 204, r.text
    await h.sync()
    now = await item(h, sku)
    assert Decimal(str(now["UnitPrice"])) == Decimal("123.45")
    assert now["Description"] == "Renamed in Dynamics"
    assert await h.sync() == {}  # settled: nothing bounces back


async def test_a_new_item_becomes_a_product_with_its_unit_and_a_retired_one_retires_it(products: Harness) -> None:
    h = products
    await h.sync()
    made = await h.tims.post(
        "items",
        json={"SKU": "ARG-80L", "Description": "Argon 80 L cylinder", "UnitPrice": "212.50", "UnitOfMeasure": "CYL"},
    )
    assert made.status_code == 201, made.text
    await h.sync()
    row = await product(h, "ARG-80L")
    assert row["name"] == "Argon 80 L cylinder"
    assert Decimal(str(row["price"])) == Decimal("212.50")
    assert row["defaultuomid"]["name"] == "Cylinder"
    assert (await item(h, "ARG-80L"))["ExternalID"] == row["productid"]

    r = await h.tims.patch(f"items/{made.json()['ItemID']}", json={"Active": False})
    assert r.status_code == 200, r.text
    await h.sync()
    assert (await product(h, "ARG-80L"))["statecode"] == 1  # retired


async def test_an_item_with_a_unit_dynamics_does_not_know_waits_in_the_dead_letter_queue(products: Harness) -> None:
    h = products
    await h.sync()
    made = await h.tims.post(
        "items", json={"SKU": "ODD-1", "Description": "Sold by the drum", "UnitPrice": "10.00", "UnitOfMeasure": "DRUM"}
    )
    assert made.status_code == 201, made.text
    outcomes = await h.sync()
    assert outcomes.get("dead") == 1
    [letter] = await h.assembly.store.dead_letters(sync="products")
    assert "DRUM" in letter.error and "unit_ids" in letter.error


async def test_vendors_pair_or_are_created_both_ways(vendors: Harness) -> None:
    h = vendors
    before = (await h.tims.get("vendors", params={"pageSize": "500"})).json()["data"]
    accounts = (await h.d365.get("accounts", params={"$filter": "customertypecode eq 11"})).json()["value"]
    outcomes = await h.sync()
    assert outcomes.get("dead", 0) == 0
    after = (await h.tims.get("vendors", params={"pageSize": "500"})).json()["data"]
    linked = {v["ExternalID"] for v in after if v["ExternalID"]}
    assert {a["accountid"] for a in accounts} <= linked  # every vendor account has its TIMS vendor
    accounts_after = (await h.d365.get("accounts", params={"$filter": "customertypecode eq 11"})).json()["value"]
    assert len(accounts_after) == len(linked) == len(after)  # and every TIMS vendor its account
    assert len(after) >= len(before)

    vendor = after[0]
    r = await h.tims.patch(f"vendors/{vendor['VendorID']}", json={"CompanyName": "Cylinder Works Ltd"})
    assert r.status_code == 200, r.text
    await h.sync()
    select = {"$select": "name,customertypecode"}
    account = (await h.d365.get(f"accounts({vendor['ExternalID']})", params=select)).json()
    assert (account["name"], account["customertypecode"]) == ("Cylinder Works Ltd", 11)
