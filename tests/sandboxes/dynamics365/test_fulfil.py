"""`FulfillSalesOrder`: fulfilling a sales order records an order close and moves the order to Fulfilled."""

from __future__ import annotations

import json
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


async def test_cancelling_an_order_closes_it_as_canceled_and_records_the_close(api: httpx.AsyncClient) -> None:
    order = await open_order(api)
    order_id = order["salesorderid"]
    r = await api.post("CancelSalesOrder", json=fulfil(order_id, status=4, subject="The buyer called"))
    assert r.status_code == 204, r.text
    after = (await api.get(f"salesorders({order_id})")).json()
    assert (after["statecode"], after["statuscode"]) == (2, 4)
    [close] = (await api.get("ordercloses", params={"$filter": f"_salesorderid_value eq {order_id}"})).json()["value"]
    assert (close["subject"], close["statecode"]) == ("The buyer called", 1)


async def test_an_order_is_cancelled_once_and_with_a_canceled_status(api: httpx.AsyncClient) -> None:
    order_id = (await open_order(api))["salesorderid"]
    wrong = await api.post("CancelSalesOrder", json=fulfil(order_id, status=100001))
    assert wrong.status_code == 400 and "not a valid status code" in wrong.json()["error"]["message"]
    assert (await api.get(f"salesorders({order_id})")).json()["statecode"] == 0  # nothing changed
    chosen = await api.post("CancelSalesOrder", json=fulfil(order_id, status=-1))
    assert chosen.status_code == 204, chosen.text
    assert (await api.get(f"salesorders({order_id})")).json()["statuscode"] == 4  # the default: No Money
    again = await api.post("CancelSalesOrder", json=fulfil(order_id, status=4))
    assert again.status_code == 400
    assert "is Canceled; only an active or submitted order can be cancelled" in again.json()["error"]["message"]
    fulfilled = await api.post("FulfillSalesOrder", json=fulfil(order_id))
    assert fulfilled.status_code == 400 and "is Canceled" in fulfilled.json()["error"]["message"]


async def test_a_fulfilled_order_cannot_be_cancelled(api: httpx.AsyncClient) -> None:
    order_id = (await open_order(api))["salesorderid"]
    assert (await api.post("FulfillSalesOrder", json=fulfil(order_id))).status_code == 204
    r = await api.post("CancelSalesOrder", json=fulfil(order_id, status=4))
    assert r.status_code == 400
    assert "is Fulfilled; only an active or submitted order can be cancelled" in r.json()["error"]["message"]
    assert (await api.get(f"salesorders({order_id})")).json()["statecode"] == 3


async def test_an_update_cannot_fulfil_or_cancel_an_order(api: httpx.AsyncClient) -> None:
    order = await open_order(api)
    order_id = order["salesorderid"]
    for state, status, label, request in (
        (3, 100001, "Fulfilled", "FulfillSalesOrderRequest"),
        (2, 4, "Canceled", "CancelSalesOrderRequest"),
    ):
        r = await api.patch(f"salesorders({order_id})", json={"statecode": state, "statuscode": status, "name": "x"})
        assert r.status_code == 400, r.text
        error = r.json()["error"]
        assert error["message"] == (
            f"This message can not be used to set the state of SalesOrder to {label}. In order to set state of "
            f"SalesOrder to {label}, use the {request} Request message instead."
        )
    after = (await api.get(f"salesorders({order_id})")).json()
    assert (after["statecode"], after["name"], after["versionnumber"]) == (0, order["name"], order["versionnumber"])
    # Other changes, and the open states, are still an update's to make.
    submitted = await api.patch(f"salesorders({order_id})", json={"statecode": 1, "statuscode": 3})
    assert submitted.status_code == 204, submitted.text


async def test_the_actions_close_orders_inside_a_change_set(api: httpx.AsyncClient) -> None:
    order_id = (await open_order(api))["salesorderid"]
    boundary, changeset = "batch_1", "changeset_1"
    parts = [
        ("PATCH", f"{API}/salesorders({order_id})", {"description": "closed in a batch"}),
        ("POST", f"{API}/CancelSalesOrder", fulfil(order_id, status=4)),
    ]
    lines = [f"--{boundary}", f"Content-Type: multipart/mixed; boundary={changeset}", ""]
    for n, (method, url, body) in enumerate(parts, 1):
        lines += [
            f"--{changeset}",
            "Content-Type: application/http",
            "Content-Transfer-Encoding: binary",
            f"Content-ID: {n}",
            "",
            f"{method} {url} HTTP/1.1",
            "Content-Type: application/json",
            "",
            json.dumps(body),
        ]
    lines += [f"--{changeset}--", f"--{boundary}--", ""]
    r = await api.post(
        "$batch", content="\r\n".join(lines).encode(), headers={"Content-Type": f"multipart/mixed; boundary={boundary}"}
    )
    assert r.status_code == 200, r.text
    after = (await api.get(f"salesorders({order_id})")).json()
    assert (after["statecode"], after["description"]) == (2, "closed in a batch")
