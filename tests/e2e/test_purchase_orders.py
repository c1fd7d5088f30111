"""Dynamics 365 purchase orders into TIMS, their vendor and items resolved through the other syncs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ferry.engine.store import NewEvent
from tests.e2e.conftest import Harness, Systems, eventually, polled

LINES = "msdyn_msdyn_purchaseorder_msdyn_purchaseorderproduct_PurchaseOrder"


@pytest.fixture
async def harness(tmp_path: Path, systems: Systems) -> AsyncIterator[Harness]:
    syncs = ("vendors", "products", "purchase-orders")
    async with polled(tmp_path / "project", systems, syncs=syncs, workers=32) as h:
        yield h


async def purchase_orders(h: Harness) -> list[dict[str, Any]]:
    params = {"$expand": f"{LINES}($select=_msdyn_product_value,msdyn_quantity,msdyn_unitcost)"}
    return list((await h.d365.get("msdyn_purchaseorders", params=params)).json()["value"])


async def test_a_purchase_order_arrives_with_its_vendor_and_items_named_by_tims_ids(harness: Harness) -> None:
    h = harness
    [order] = await purchase_orders(h)
    assert order[LINES], "the sandbox's purchase order has lines"

    outcomes = await h.sync()
    assert outcomes.get("dead", 0) == 0

    [po] = (await h.tims.get("purchase-orders", params={"ExternalID": order["msdyn_purchaseorderid"]})).json()["data"]
    vendor = (await h.tims.get(f"vendors/{po['VendorID']}")).json()
    assert vendor["ExternalID"] == order["_msdyn_vendor_value"]  # the vendor synced by the vendors sync
    assert len(po["Lines"]) == len(order[LINES])
    for line, source in zip(po["Lines"], order[LINES], strict=True):
        item = (await h.tims.get(f"items/{line['ItemID']}")).json()
        assert item["ExternalID"] == source["_msdyn_product_value"]
        assert line["Quantity"] == int(source["msdyn_quantity"])
        assert Decimal(str(line["UnitPrice"])) == Decimal(str(source["msdyn_unitcost"])).quantize(Decimal("0.01"))
    assert await h.sync() == {}  # settled: the lines compare equal, nothing is written again


async def test_a_purchase_order_waits_for_a_vendor_not_yet_in_tims_and_then_follows(harness: Harness) -> None:
    h = harness
    [order] = await purchase_orders(h)
    # Only the purchase order is announced: its vendor and items are synced because it needs them.
    await h.assembly.store.enqueue(
        [NewEvent("purchase-orders", "left", order["msdyn_purchaseorderid"], source="webhook")]
    )
    h.engine.wake()

    async def arrived() -> list[dict[str, Any]] | None:
        found = (await h.tims.get("purchase-orders", params={"ExternalID": order["msdyn_purchaseorderid"]})).json()
        return found["data"] or None

    [po] = await eventually(arrived, within=60)
    assert h.engine.processor.outcomes.get("waiting", 0) >= 1
    vendor = (await h.tims.get(f"vendors/{po['VendorID']}")).json()
    assert vendor["ExternalID"] == order["_msdyn_vendor_value"]
