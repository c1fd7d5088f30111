"""Closing sales orders: a write that sets `statecode` Fulfilled or Canceled goes out as the update of the
other columns and `FulfillSalesOrder` / `CancelSalesOrder`, once, against the sandbox over HTTP."""

from __future__ import annotations

from typing import Any

from ferry.connectors.dynamics365 import DataverseConnector
from ferry.core.errors import FerryError, PermanentError
from ferry.core.records import WriteKind, WriteOp

C, U, P = WriteKind.CREATE, WriteKind.UPDATE, WriteKind.UPSERT


async def new_order(d365: DataverseConnector, **data: Any) -> str:
    (account,) = await d365.write([WriteOp(C, "accounts", {"name": "Closing Ltd"})])
    fields = {"name": "An order", "customerid_account@odata.bind": f"/accounts({account.id})", **data}
    (order,) = await d365.write([WriteOp(C, "salesorders", fields)])
    assert order.ok and order.id, order.error
    return order.id


async def closes(d365: DataverseConnector, order_id: str) -> list[dict[str, Any]]:
    params = {"$filter": f"_salesorderid_value eq {order_id}"}
    return list((await d365.client.get_json("ordercloses", params))["value"])


async def state(d365: DataverseConnector, order_id: str) -> tuple[Any, Any, str | None]:
    row = await d365.get("salesorders", order_id)
    assert row is not None
    return row.data["statecode"], row.data["statuscode"], row.version


async def test_fulfilling_an_order_updates_its_columns_then_fulfils_it_once(fresh: DataverseConnector) -> None:
    order_id = await new_order(fresh)
    op = WriteOp(U, "salesorders", {"description": "Shipped by UPS", "statecode": 3, "statuscode": 100001}, id=order_id)
    (done,) = await fresh.write([op])
    assert done.ok and done.id == order_id, done.error
    statecode, statuscode, version = await state(fresh, order_id)
    assert (statecode, statuscode) == (3, 100001)
    assert done.version == version  # the version the action left, so the engine knows its own write
    row = await fresh.get("salesorders", order_id)
    assert row is not None and row.data["description"] == "Shipped by UPS"
    [close] = await closes(fresh, order_id)
    assert close["subject"] == "Order fulfilled"

    (again,) = await fresh.write([op])  # a repeated write: the order is not closed twice
    assert again.ok and len(await closes(fresh, order_id)) == 1
    version = (await state(fresh, order_id))[2]
    (same,) = await fresh.write([WriteOp(U, "salesorders", {"statecode": 3, "statuscode": 100001}, id=order_id)])
    assert same.ok and same.version == version  # the state alone, already so: nothing is sent
    assert (await state(fresh, order_id))[2] == version


async def test_cancelling_takes_the_canceled_default_status_when_none_is_given(fresh: DataverseConnector) -> None:
    order_id = await new_order(fresh)
    (done,) = await fresh.write([WriteOp(U, "salesorders", {"statecode": 2}, id=order_id)])
    assert done.ok, done.error
    assert (await state(fresh, order_id))[:2] == (2, 4)  # Canceled, No Money
    assert [c["subject"] for c in await closes(fresh, order_id)] == ["Order canceled"]


async def test_an_already_fulfilled_order_takes_the_other_columns_only(fresh: DataverseConnector) -> None:
    order_id = await new_order(fresh)
    assert (await fresh.write([WriteOp(U, "salesorders", {"statecode": 3}, id=order_id)]))[0].ok
    op = WriteOp(U, "salesorders", {"statecode": 3, "statuscode": 100001, "description": "late note"}, id=order_id)
    (done,) = await fresh.write([op])
    assert done.ok, done.error
    row = await fresh.get("salesorders", order_id)
    assert row is not None and row.data["description"] == "late note" and row.version == done.version
    assert len(await closes(fresh, order_id)) == 1


async def test_a_new_order_can_be_created_fulfilled(fresh: DataverseConnector) -> None:
    (account,) = await fresh.write([WriteOp(C, "accounts", {"name": "Shipped Ltd"})])
    fields = {"name": "Made shipped", "customerid_account@odata.bind": f"/accounts({account.id})"}
    op = WriteOp(C, "salesorders", {**fields, "statecode": 3, "statuscode": 100002}, idempotency_key="tims:so:9")
    (made,) = await fresh.write([op])
    assert made.ok and made.created and made.id, made.error
    assert (await state(fresh, made.id))[:2] == (3, 100002)
    (again,) = await fresh.write([op])  # the retry of a CREATE that got through: one order, closed once
    assert again.ok and again.id == made.id
    assert len(await closes(fresh, made.id)) == 1


async def test_an_upsert_closes_the_order_it_names(fresh: DataverseConnector) -> None:
    order_id = await new_order(fresh)
    op = WriteOp(P, "salesorders", {"statecode": 2, "statuscode": 4, "description": "gone"}, id=order_id)
    (done,) = await fresh.write([op])
    assert done.ok and done.id == order_id, done.error
    assert (await state(fresh, order_id))[:2] == (2, 4)
    (again,) = await fresh.write([WriteOp(P, "salesorders", {"statecode": 2, "statuscode": 4}, id=order_id)])
    assert again.ok and again.id == order_id and again.version == (await state(fresh, order_id))[2]


async def test_dataverse_refusing_the_close_fails_that_op_and_changes_nothing(fresh: DataverseConnector) -> None:
    order_id = await new_order(fresh)
    assert (await fresh.write([WriteOp(U, "salesorders", {"statecode": 3}, id=order_id)]))[0].ok
    other = await new_order(fresh)
    refused, fine = await fresh.write(
        [
            WriteOp(U, "salesorders", {"statecode": 2, "description": "cancel it"}, id=order_id),
            WriteOp(U, "salesorders", {"statecode": 2}, id=other),
        ]
    )
    assert not refused.ok and isinstance(refused.error, FerryError)
    assert isinstance(refused.error, PermanentError)
    assert "only an active or submitted order can be cancelled" in refused.error.message
    row = await fresh.get("salesorders", order_id)
    assert row is not None and row.data["statecode"] == 3 and row.data["description"] is None  # all or nothing
    assert fine.ok and (await state(fresh, other))[:2] == (2, 4)


async def test_other_states_and_other_tables_are_plain_updates(fresh: DataverseConnector) -> None:
    order_id = await new_order(fresh)
    (submitted,) = await fresh.write([WriteOp(U, "salesorders", {"statecode": 1, "statuscode": 3}, id=order_id)])
    assert submitted.ok and (await state(fresh, order_id))[:2] == (1, 3)
    assert await closes(fresh, order_id) == []
