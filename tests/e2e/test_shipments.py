"""Shipments both ways: TIMS shipping an order dates the fulfilment of the Dynamics sales order it came
from, and the order becomes Fulfilled there; an order fulfilled in Dynamics ships its TIMS order. Either
way the order has one shipment."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Harness, Systems, polled

SYNCS = ("customers", "products", "sales-orders", "shipments")


@pytest.fixture
async def harness(tmp_path: Path, systems: Systems) -> AsyncIterator[Harness]:
    async with polled(tmp_path / "project", systems, syncs=SYNCS, workers=32) as h:
        yield h


async def test_a_tims_shipment_dates_and_fulfils_the_dynamics_order(harness: Harness) -> None:
    h = harness
    await h.sync()
    orders = (await h.d365.get("salesorders", params={"$filter": "statecode eq 0"})).json()["value"]
    mirrored = None
    for order in orders:
        found = (await h.tims.get("sales-orders", params={"ExternalID": order["salesorderid"]})).json()["data"]
        if found:
            order_id, mirrored = order["salesorderid"], found[0]
            break
    assert mirrored is not None, "an open Dynamics order is in TIMS"
    before = (await h.d365.get(f"salesorders({order_id})")).json()
    assert before["datefulfilled"] is None

    shipped = await h.tims.post(
        "shipments",
        json={"SalesOrderID": mirrored["SalesOrderID"], "Carrier": "UPS", "TrackingNumber": "1Z999AA10123456784"},
    )
    assert shipped.status_code == 201, shipped.text
    outcomes = await h.sync()
    assert outcomes.get("dead", 0) == 0, outcomes
    after = (await h.d365.get(f"salesorders({order_id})")).json()
    assert after["datefulfilled"] == datetime.fromisoformat(shipped.json()["ShippedAt"]).date().isoformat()
    assert (after["statecode"], after["statuscode"]) == (3, 100001)  # Fulfilled, Complete
    assert await h.sync() == {}  # settled

    # The shipment is linked to that order only: the other orders are untouched.
    for other in orders:
        if other["salesorderid"] != order_id:
            row = (await h.d365.get(f"salesorders({other['salesorderid']})")).json()
            assert row["datefulfilled"] is None


async def mirrored_open_order(h: Harness) -> tuple[str, dict[str, Any]]:
    """An open Dynamics order and the TIMS order the sales-orders sync made of it."""
    for order in (await h.d365.get("salesorders", params={"$filter": "statecode eq 0"})).json()["value"]:
        found = (await h.tims.get("sales-orders", params={"ExternalID": order["salesorderid"]})).json()["data"]
        if found and found[0]["OrderStatus"] in ("Open", "Allocated"):
            return order["salesorderid"], found[0]
    raise AssertionError("no open Dynamics order is in TIMS, open there too")


async def shipments_of(h: Harness, tims_order: int) -> list[dict[str, Any]]:
    params = {"SalesOrderID": str(tims_order), "includeInactive": "true"}
    return list((await h.tims.get("shipments", params=params)).json()["data"])


async def test_an_order_fulfilled_in_dynamics_ships_its_tims_order_once(harness: Harness) -> None:
    h = harness
    await h.sync()
    order_id, tims_order = await mirrored_open_order(h)
    assert await shipments_of(h, tims_order["SalesOrderID"]) == []

    # The warehouse team fulfils the order in Dynamics 365 (the Fulfill Order button: FulfillSalesOrder).
    r = await h.d365.patch(f"salesorders({order_id})", json={"datefulfilled": "2026-12-02"})
    assert r.status_code == 204, r.text
    close = {"salesorderid@odata.bind": f"/salesorders({order_id})", "subject": "Left the dock"}
    r = await h.d365.post("FulfillSalesOrder", json={"OrderClose": close, "Status": 100001})
    assert r.status_code == 204, r.text
    outcomes = await h.sync()
    assert outcomes.get("dead", 0) == 0, outcomes

    [shipment] = await shipments_of(h, tims_order["SalesOrderID"])
    assert shipment["ExternalID"] == order_id
    assert shipment["ShippedAt"].startswith("2026-12-02")
    assert [(line["SKU"], line["Quantity"]) for line in shipment["Lines"]] == [
        (line["SKU"], line["Quantity"]) for line in tims_order["Lines"]
    ]
    assert (await h.tims.get(f"sales-orders/{tims_order['SalesOrderID']}")).json()["OrderStatus"] == "Shipped"
    # No loop: the shipment does not come back as another fulfilment, nor the fulfilment as another shipment.
    after = (await h.d365.get(f"salesorders({order_id})")).json()
    assert (after["statecode"], after["statuscode"], after["datefulfilled"]) == (3, 100001, "2026-12-02")
    assert await h.sync() == {}
    assert len(await shipments_of(h, tims_order["SalesOrderID"])) == 1
    history = await h.assembly.store.audit_trail("shipments", "left", order_id)
    assert [e.action for e in history].count("created") == 1


async def test_a_shipment_posted_in_tims_makes_no_second_shipment_from_dynamics(harness: Harness) -> None:
    h = harness
    await h.sync()
    order_id, tims_order = await mirrored_open_order(h)
    shipped = await h.tims.post("shipments", json={"SalesOrderID": tims_order["SalesOrderID"], "Carrier": "UPS"})
    assert shipped.status_code == 201, shipped.text
    outcomes = await h.sync()
    assert outcomes.get("dead", 0) == 0 and not outcomes.get("created"), outcomes
    # Dynamics shows the order fulfilled (through sales-orders) and dated (through shipments) ...
    after = (await h.d365.get(f"salesorders({order_id})")).json()
    assert after["statecode"] == 3 and after["datefulfilled"] is not None
    # ... and TIMS still has the one shipment, now carrying the Dynamics order id.
    [only] = await shipments_of(h, tims_order["SalesOrderID"])
    assert (only["ShipmentID"], only["ExternalID"]) == (shipped.json()["ShipmentID"], order_id)
    assert await h.sync() == {}
