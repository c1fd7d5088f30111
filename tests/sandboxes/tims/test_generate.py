"""`POST /_sandbox/generate`: realistic activity through the API's own rules."""

from __future__ import annotations

import httpx
import pytest

from ferry.sandboxes.tims import TimsSandbox

ENTITIES = {
    "customers": "customers",
    "sales-orders": "sales-orders",
    "shipments": "shipments",
    "invoices": "invoices",
    "payments": "payments",
    "inventory-adjustments": "inventory-adjustments",
}


@pytest.mark.parametrize("entity", list(ENTITIES))
async def test_generated_records_exist_and_are_valid(
    sandbox: TimsSandbox, client: httpx.AsyncClient, entity: str
) -> None:
    r = await client.post("/_sandbox/generate", json={"entity": entity, "count": 15, "wait": True})
    assert r.status_code == 200, r.text
    ids = r.json()["ids"]
    records = [(await client.get(f"/api/v1/{ENTITIES[entity]}/{i}")).json() for i in ids]
    assert len(set(ids)) == 15
    assert all(rec["Version"] >= 1 and rec["Status"] == "Active" for rec in records)


async def test_generated_invoices_are_for_shipped_orders(client: httpx.AsyncClient) -> None:
    r = await client.post("/_sandbox/generate", json={"entity": "invoices", "count": 5, "wait": True})
    for invoice_id in r.json()["ids"]:
        invoice = (await client.get(f"/api/v1/invoices/{invoice_id}")).json()
        order = (await client.get(f"/api/v1/sales-orders/{invoice['SalesOrderID']}")).json()
        assert order["OrderStatus"] == "Invoiced"
        assert order["Total"] == invoice["Total"]


async def test_generate_refuses_what_it_cannot_make(client: httpx.AsyncClient) -> None:
    r = await client.post("/_sandbox/generate", json={"entity": "gl-entries", "count": 1})
    assert r.status_code == 400
