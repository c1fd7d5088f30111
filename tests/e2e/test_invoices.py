"""AR invoices both ways: an invoice raised in either system appears in the other, once, with its lines."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Harness, Systems, polled, without_history

SYNCS = ("customers", "products", "sales-orders", "invoices")


@pytest.fixture
def systems() -> Iterator[Systems]:
    with without_history() as systems:
        yield systems


@pytest.fixture
async def harness(tmp_path: Path, systems: Systems) -> AsyncIterator[Harness]:
    async with polled(tmp_path / "project", systems, syncs=SYNCS, workers=16) as h:
        yield h


async def linked_account_and_products(h: Harness) -> tuple[str, int, list[dict[str, Any]]]:
    """A Dynamics account linked to a TIMS customer (in the customer's currency) and two linked products."""
    customers = (await h.tims.get("customers", params={"pageSize": "500"})).json()["data"]
    customer = next(c for c in customers if c["ExternalID"] and c["Currency"] == "USD")
    products = (await h.d365.get("products", params={"$filter": "statecode eq 0", "$top": "2"})).json()["value"]
    return customer["ExternalID"], customer["CustomerID"], products


async def tims_invoices(h: Harness, **params: str) -> list[dict[str, Any]]:
    return list((await h.tims.get("invoices", params={"pageSize": "500", **params})).json()["data"])


async def d365_invoice(h: Harness, invoice_id: str) -> dict[str, Any]:
    params = {"$expand": "invoice_details($select=_productid_value,quantity,priceperunit;$orderby=lineitemnumber)"}
    r = await h.d365.get(f"invoices({invoice_id})", params=params)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_a_dynamics_invoice_reaches_tims_once_with_its_customer_and_lines(harness: Harness) -> None:
    h = harness
    await h.sync()
    account_id, customer_id, products = await linked_account_and_products(h)
    made = await h.d365.post(
        "invoices",
        json={
            "name": "Cylinder rental, November",
            "customerid_account@odata.bind": f"/accounts({account_id})",
            "duedate": "2026-12-22",
            "transactioncurrencyid@odata.bind": "/transactioncurrencies(isocurrencycode='USD')",
        },
        headers={"Prefer": "return=representation"},
    )
    assert made.status_code == 201, made.text
    invoice_id = made.json()["invoiceid"]
    for n, (product, qty) in enumerate(zip(products, (3, 1), strict=True), start=1):
        r = await h.d365.post(
            "invoicedetails",
            json={
                "invoiceid@odata.bind": f"/invoices({invoice_id})",
                "productid@odata.bind": f"/products({product['productid']})",
                "uomid@odata.bind": f"/uoms({product['_defaultuomid_value']})",
                "quantity": qty,
                "priceperunit": 12.5 * n,
                "lineitemnumber": n,
            },
        )
        assert r.status_code == 204, r.text

    outcomes = await h.sync()
    assert outcomes.get("dead", 0) == 0, outcomes
    [mirrored] = await tims_invoices(h, ExternalID=invoice_id)
    assert mirrored["Type"] == "AR" and mirrored["CustomerID"] == customer_id
    assert mirrored["InvoiceNumber"] == made.json()["invoicenumber"]
    assert mirrored["DueDate"] == "2026-12-22"
    assert [(line["Quantity"], Decimal(line["UnitPrice"])) for line in mirrored["Lines"]] == [
        (3, Decimal("12.50")),
        (1, Decimal("25.00")),
    ]
    assert Decimal(mirrored["Total"]) == Decimal("62.50") and mirrored["PaymentStatus"] == "Unpaid"
    for line, product in zip(mirrored["Lines"], products, strict=True):
        item = (await h.tims.get(f"items/{line['ItemID']}")).json()
        assert item["ExternalID"] == product["productid"]

    # Once: the TIMS invoice is not mirrored back as a second Dynamics invoice, and nothing moves again.
    assert await h.sync() == {}
    named = (await h.d365.get("invoices", params={"$filter": f"invoicenumber eq '{mirrored['InvoiceNumber']}'"})).json()
    assert [i["invoiceid"] for i in named["value"]] == [invoice_id]
    assert len(await tims_invoices(h, ExternalID=invoice_id)) == 1


async def test_a_tims_invoice_becomes_a_dynamics_invoice_once_with_its_lines(harness: Harness) -> None:
    h = harness
    await h.sync()
    account_id, customer_id, products = await linked_account_and_products(h)
    items = [(await h.tims.get("items", params={"ExternalID": p["productid"]})).json()["data"][0] for p in products]
    made = await h.tims.post(
        "invoices",
        json={
            "Type": "AR",
            "CustomerID": customer_id,
            "InvoiceDate": "2026-11-20",
            "DueDate": "2026-12-20",
            "Lines": [
                {"ItemID": items[0]["ItemID"], "Quantity": 2, "UnitPrice": "40.00"},
                {"ItemID": items[1]["ItemID"], "Quantity": 5, "UnitPrice": "3.10"},
            ],
        },
    )
    assert made.status_code == 201, made.text
    tims_id = made.json()["InvoiceID"]

    outcomes = await h.sync()
    assert outcomes.get("dead", 0) == 0, outcomes
    external = (await h.tims.get(f"invoices/{tims_id}")).json()["ExternalID"]
    assert external, "the TIMS invoice names its Dynamics invoice"
    invoice = await d365_invoice(h, external)
    assert invoice["invoicenumber"] == made.json()["InvoiceNumber"]
    assert invoice["_customerid_value"] == account_id
    assert invoice["duedate"] == "2026-12-20"
    assert invoice["statecode"] == 0  # unpaid: active
    lines = sorted(
        (d["_productid_value"], Decimal(str(d["quantity"])), Decimal(str(d["priceperunit"])))
        for d in invoice["invoice_details"]
    )
    assert lines == sorted(
        [
            (products[0]["productid"], Decimal(2), Decimal("40.00")),
            (products[1]["productid"], Decimal(5), Decimal("3.10")),
        ]
    )
    assert Decimal(str(invoice["totalamount"])) == Decimal("95.50")

    assert await h.sync() == {}  # settled: no echo back to TIMS
    [only] = await tims_invoices(h, ExternalID=external)
    assert only["InvoiceID"] == tims_id
    named = (await h.d365.get("invoices", params={"$filter": f"invoicenumber eq '{only['InvoiceNumber']}'"})).json()
    assert len(named["value"]) == 1
