"""`FulfillSalesOrder`: fulfilling a sales order records an order close and moves the order to Fulfilled."""

from __future__ import annotations

from typing import Any

import httpx

from tests.sandboxes.dynamics365.conftest import API


async def open_order(api: httpx.AsyncClient) -> dict[str, Any]:
    rows = (await api.get("salesorders", params={"$filter": "statecode eq 0", "$top": "1"})).json()["value"]
    assert rows, "the seed has an active order"
    return dict(rows[0])


def fulfil(order_id: str, status: int = 100001, **close: Any) -> dict[str, Any]:
    return {"OrderClose": {"salesorderid@odata.bind": f"/salesorders({order_id})", **close}, "Status": status}


async def test_fulfilling_an_order_closes_it_as_fulfilled_and_records_the_close(api: httpx.AsyncClient) -> None:
    order = await open_order(api)
    order_id = order["salesorderid"]
    r = await api.post("FulfillSalesOrder", json=fulfil(order_id, subject="Shipped from the dock"))
    assert r.status_code == 204, r.text
    after = (await api.get(f"salesorders({order_id})")).json()
    assert (after["statecode"], after["statuscode"]) == (3, 100001)
    assert int(after["versionnumber"]) > int(order["versionnumber"])
    params = {"$filter": f"_salesorderid_value eq {order_id}"}
    [close] = (await api.get("ordercloses", params=params)).json()["value"]
    assert (close["subject"], close["statecode"]) == ("Shipped from the dock", 1)


async def test_an_order_is_fulfilled_once_and_with_a_fulfilled_status(api: httpx.AsyncClient) -> None:
    order_id = (await open_order(api))["salesorderid"]
    wrong = await api.post("FulfillSalesOrder", json=fulfil(order_id, status=4))
    assert wrong.status_code == 400 and "not a valid status code" in wrong.json()["error"]["message"]
    assert (await api.get(f"salesorders({order_id})")).json()["statecode"] == 0  # nothing changed
    assert (await api.get("ordercloses", params={"$filter": f"_salesorderid_value eq {order_id}"})).json()[
        "value"
    ] == []
    chosen = await api.post("FulfillSalesOrder", json=fulfil(order_id, status=-1))
    assert chosen.status_code == 204, chosen.text
    again = await api.post("FulfillSalesOrder", json=fulfil(order_id))
    assert again.status_code == 400
    assert "is Fulfilled; only an active or submitted order can be fulfilled" in again.json()["error"]["message"]


async def test_fulfilling_names_what_is_missing(api: httpx.AsyncClient) -> None:
    missing = await api.post("FulfillSalesOrder", json={"Status": 100001})
    assert missing.status_code == 400 and "OrderClose" in missing.json()["error"]["message"]
    unknown = await api.post("FulfillSalesOrder", json=fulfil("00000000-0000-0000-0000-000000000001"))
    assert unknown.status_code == 404
    assert (await api.get("FulfillSalesOrder")).status_code == 405
    assert API.endswith("/v9.2")
