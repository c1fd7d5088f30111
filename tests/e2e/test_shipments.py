"""Shipments: TIMS shipping an order dates the fulfilment of the Dynamics sales order it came from, and
the order becomes Fulfilled there."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

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
