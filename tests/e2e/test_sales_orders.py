"""Sales orders with their lines both ways, and the order's status written back from TIMS."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Harness, Systems, polled

SYNCS = ("customers", "products", "sales-orders")


@pytest.fixture
async def harness(tmp_path: Path, systems: Systems) -> AsyncIterator[Harness]:
    async with polled(tmp_path / "project", systems, syncs=SYNCS, workers=32) as h:
        yield h


async def d365_order(h: Harness, order_id: str) -> dict[str, Any]:
    params = {"$expand": "order_details($select=_productid_value,quantity,priceperunit;$orderby=lineitemnumber)"}
    return dict((await h.d365.get(f"salesorders({order_id})", params=params)).json())


async def tims_order(h: Harness, external_id: str) -> dict[str, Any] | None:
    found = (await h.tims.get("sales-orders", params={"ExternalID": external_id})).json()["data"]
    return dict(found[0]) if found else None


async def test_a_dynamics_order_reaches_tims_with_its_customer_and_lines_then_takes_tims_status(
    harness: Harness,
) -> None:
    h = harness
    await h.sync()
    orders = (await h.d365.get("salesorders", params={"$filter": "statecode eq 0"})).json()["value"]
    order = await d365_order(h, orders[0]["salesorderid"])
    mirrored = await tims_order(h, order["salesorderid"])
    assert mirrored is not None, "an open Dynamics order is in TIMS"
    customer = (await h.tims.get(f"customers/{mirrored['CustomerID']}")).json()
    assert customer["ExternalID"] == order["_customerid_value"]
    assert [line["Quantity"] for line in mirrored["Lines"]] == [int(d["quantity"]) for d in order["order_details"]]
    for line, detail in zip(mirrored["Lines"], order["order_details"], strict=True):
        item = (await h.tims.get(f"items/{line['ItemID']}")).json()
        assert item["ExternalID"] == detail["_productid_value"]

    # TIMS ships it: the order's status comes back to Dynamics.
    shipped = await h.tims.post("shipments", json={"SalesOrderID": mirrored["SalesOrderID"], "Carrier": "UPS"})
    assert shipped.status_code == 201, shipped.text
    await h.sync()
    back = await d365_order(h, order["salesorderid"])
    assert (back["statecode"], back["statuscode"]) == (3, 100001)  # Fulfilled, Complete
    assert await h.sync() == {}  # settled


async def test_a_cancelled_dynamics_order_cancels_the_tims_order_and_one_never_sent_is_skipped(
    harness: Harness,
) -> None:
    h = harness
    outcomes = await h.sync()
    cancelled_before = (await h.d365.get("salesorders", params={"$filter": "statecode eq 2"})).json()["value"]
    for order in cancelled_before:
        assert await tims_order(h, order["salesorderid"]) is None  # never sent: TIMS takes no cancelled new order
    assert outcomes.get("skipped", 0) == len(cancelled_before)

    open_orders = (await h.d365.get("salesorders", params={"$filter": "statecode eq 0"})).json()["value"]
    order_id = ""
    for candidate in open_orders:
        if await tims_order(h, candidate["salesorderid"]):
            order_id = candidate["salesorderid"]
            break
    assert order_id, "an open order was sent to TIMS"
    # Someone cancels it in Dynamics 365 (the Cancel Order button: CancelSalesOrder; an update may not).
    refused = await h.d365.patch(f"salesorders({order_id})", json={"statecode": 2, "statuscode": 4})
    assert refused.status_code == 400 and "CancelSalesOrderRequest" in refused.json()["error"]["message"]
    close = {"salesorderid@odata.bind": f"/salesorders({order_id})", "subject": "The buyer called"}
    r = await h.d365.post("CancelSalesOrder", json={"OrderClose": close, "Status": 4})
    assert r.status_code == 204, r.text
    await h.sync()
    mirrored = await tims_order(h, order_id)
    assert mirrored is not None and mirrored["OrderStatus"] == "Cancelled"


async def test_a_tims_order_becomes_a_dynamics_order_with_its_lines(harness: Harness) -> None:
    h = harness
    await h.sync()
    customer = next(c for c in (await h.tims.get("customers", params={"pageSize": "500"})).json()["data"])
    items = (await h.tims.get("items", params={"pageSize": "3"})).json()["data"][:2]
    made = await h.tims.post(
        "sales-orders",
        json={
            "OrderNumber": "WEB-5001",
            "CustomerID": customer["CustomerID"],
            "Currency": customer["Currency"],
            "Lines": [{"ItemID": i["ItemID"], "Quantity": 1, "UnitPrice": str(i["UnitPrice"])} for i in items],
        },
    )
    assert made.status_code == 201, made.text
    await h.sync()
    order_id = (await h.tims.get(f"sales-orders/{made.json()['SalesOrderID']}")).json()["ExternalID"]
    assert order_id, "the TIMS order names its Dynamics order"
    order = await d365_order(h, order_id)
    assert order["ordernumber"] == "WEB-5001"
    linked = (await h.tims.get(f"customers/{customer['CustomerID']}")).json()["ExternalID"]
    assert order["_customerid_value"] == linked  # the account the customers sync keeps for that customer
    products = {(await h.tims.get(f"items/{i['ItemID']}")).json()["ExternalID"] for i in items}
    assert {d["_productid_value"] for d in order["order_details"]} == products
    assert await h.sync() == {}  # settled
