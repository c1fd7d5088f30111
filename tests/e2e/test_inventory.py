"""On-hand stock kept equal both ways, through adjustments: a count changed in Dynamics posts one TIMS
inventory adjustment for the difference; a TIMS adjustment reaches the Dynamics product inventory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Harness, Systems, polled, without_history

SYNCS = ("products", "inventory")


@pytest.fixture
def systems() -> Iterator[Systems]:
    with without_history() as systems:
        yield systems


@pytest.fixture
async def harness(tmp_path: Path, systems: Systems) -> AsyncIterator[Harness]:
    async with polled(tmp_path / "project", systems, syncs=SYNCS, workers=16) as h:
        yield h


async def d365_stock(h: Harness) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    url: str | None = "msdyn_productinventories"
    query: dict[str, str] | None = {
        "$expand": "msdyn_Product($select=productnumber),msdyn_Warehouse($select=msdyn_name)"
    }
    while url:
        body = (await h.d365.get(url, params=query)).json()
        rows += body["value"]
        url, query = body.get("@odata.nextLink"), None
    return rows


async def tims_row(h: Harness, sku: str, warehouse: str) -> dict[str, Any]:
    r = await h.tims.get(f"inventory/{sku}/{warehouse}")
    assert r.status_code == 200, r.text
    return dict(r.json())


async def adjustments(h: Harness, sku: str, warehouse: str) -> list[dict[str, Any]]:
    params = {"SKU": sku, "Warehouse": warehouse, "pageSize": "500"}
    return list((await h.tims.get("inventory-adjustments", params=params)).json()["data"])


async def test_on_hand_is_kept_equal_both_ways_through_adjustments(harness: Harness) -> None:
    h = harness
    outcomes = await h.sync()
    assert outcomes.get("dead", 0) == 0, outcomes
    stock = await d365_stock(h)
    assert stock
    for row in stock:  # after the first run every Dynamics count is TIMS's too
        tims = await tims_row(h, row["msdyn_Product"]["productnumber"], row["msdyn_Warehouse"]["msdyn_name"])
        assert Decimal(tims["OnHand"]) == Decimal(str(row["msdyn_qtyonhand"])), tims
    assert await h.sync() == {}  # settled

    row = stock[0]
    sku, warehouse = row["msdyn_Product"]["productnumber"], row["msdyn_Warehouse"]["msdyn_name"]
    before = await tims_row(h, sku, warehouse)
    made = len(await adjustments(h, sku, warehouse))
    # A stock count in Dynamics finds 7 more: TIMS gets one adjustment of +7, not an overwrite.
    counted = int(before["OnHand"]) + 7
    path = f"msdyn_productinventories({row['msdyn_productinventoryid']})"
    r = await h.d365.patch(path, json={"msdyn_qtyonhand": counted})
    assert r.status_code == 204, r.text
    await h.sync()
    after = await tims_row(h, sku, warehouse)
    assert after["OnHand"] == counted and after["Allocated"] == before["Allocated"]
    new = (await adjustments(h, sku, warehouse))[made:]
    assert [a["QuantityDelta"] for a in new] == [7]
    assert "synced by ferry" in new[0]["Reason"]

    # TIMS writes off 3 damaged cylinders: Dynamics shows the new on-hand, and nothing is adjusted back.
    r = await h.tims.post(
        "inventory-adjustments", json={"SKU": sku, "Warehouse": warehouse, "QuantityDelta": -3, "Reason": "Damaged"}
    )
    assert r.status_code == 201, r.text
    await h.sync()
    back = (await h.d365.get(path)).json()
    assert Decimal(str(back["msdyn_qtyonhand"])) == counted - 3
    assert [a["QuantityDelta"] for a in (await adjustments(h, sku, warehouse))[made:]] == [7, -3]
    assert (await tims_row(h, sku, warehouse))["OnHand"] == counted - 3
    assert await h.sync() == {}
