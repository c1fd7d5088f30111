"""AR invoices both ways: an invoice raised in either system appears in the other, once, with its lines."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Harness, Systems, polled, without_history
from tests.e2e.test_gl_entries import entry as gl_entry
from tests.e2e.test_gl_entries import lines as gl_lines

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


async def tims_invoice(h: Harness, customer_id: int, lines: list[dict[str, Any]], **fields: str) -> dict[str, Any]:
    """A TIMS AR invoice for the customer; each line names a Dynamics product by `product` (its TIMS item)."""
    for line in lines:
        product = line.pop("product")
        line["ItemID"] = (await h.tims.get("items", params={"ExternalID": product["productid"]})).json()["data"][0][
            "ItemID"
        ]
    made = await h.tims.post("invoices", json={"Type": "AR", "CustomerID": customer_id, "Lines": lines, **fields})
    assert made.status_code == 201, made.text
    return dict(made.json())


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
    # Dataverse expands invoice_details in no promised order, so the lines are compared as a set.
    by_item = {}
    for line in mirrored["Lines"]:
        item = (await h.tims.get(f"items/{line['ItemID']}")).json()
        by_item[item["ExternalID"]] = (line["Quantity"], Decimal(line["UnitPrice"]))
    assert by_item == {products[0]["productid"]: (3, Decimal("12.50")), products[1]["productid"]: (1, Decimal("25.00"))}
    assert Decimal(mirrored["Total"]) == Decimal("62.50") and mirrored["PaymentStatus"] == "Unpaid"

    # Once: the TIMS invoice is not mirrored back as a second Dynamics invoice, and nothing moves again.
    assert await h.sync() == {}
    named = (await h.d365.get("invoices", params={"$filter": f"invoicenumber eq '{mirrored['InvoiceNumber']}'"})).json()
    assert [i["invoiceid"] for i in named["value"]] == [invoice_id]
    assert len(await tims_invoices(h, ExternalID=invoice_id)) == 1


async def test_a_tims_invoice_becomes_a_dynamics_invoice_once_with_its_lines(harness: Harness) -> None:
    h = harness
    await h.sync()
    account_id, customer_id, products = await linked_account_and_products(h)
    made = await tims_invoice(
        h,
        customer_id,
        [
            {"product": products[0], "Quantity": 2, "UnitPrice": "40.00"},
            {"product": products[1], "Quantity": 5, "UnitPrice": "3.10"},
        ],
        InvoiceDate="2026-11-20",
        DueDate="2026-12-20",
    )
    tims_id = made["InvoiceID"]

    outcomes = await h.sync()
    assert outcomes.get("dead", 0) == 0, outcomes
    external = (await h.tims.get(f"invoices/{tims_id}")).json()["ExternalID"]
    assert external, "the TIMS invoice names its Dynamics invoice"
    invoice = await d365_invoice(h, external)
    assert invoice["invoicenumber"] == made["InvoiceNumber"]
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


FINANCE = (*SYNCS, "invoice-postings", "invoice-reversals")


@pytest.fixture
async def finance(tmp_path: Path, systems: Systems) -> AsyncIterator[Harness]:
    """The invoices and the ledger syncs together, settled once."""
    async with polled(tmp_path / "finance", systems, syncs=FINANCE, workers=16) as h:
        await h.sync()
        yield h


async def test_a_taxed_dynamics_invoice_posts_its_tax_and_when_cancelled_is_voided_and_reversed(
    finance: Harness,
) -> None:
    h = finance
    account_id, _, products = await linked_account_and_products(h)
    made = await h.d365.post(
        "invoices",
        json={"name": "Argon, taxed", "customerid_account@odata.bind": f"/accounts({account_id})"},
        headers={"Prefer": "return=representation"},
    )
    assert made.status_code == 201, made.text
    invoice_id = made.json()["invoiceid"]
    for product, (qty, price, tax) in zip(products, ((3, 12.5, 3.09), (1, 25, 2.06)), strict=True):
        r = await h.d365.post(
            "invoicedetails",
            json={
                "invoiceid@odata.bind": f"/invoices({invoice_id})",
                "productid@odata.bind": f"/products({product['productid']})",
                "quantity": qty,
                "priceperunit": price,
                "tax": tax,
            },
        )
        assert r.status_code == 204, r.text
    outcomes = await h.sync()
    assert outcomes.get("dead", 0) == 0, outcomes

    d365 = (await h.d365.get(f"invoices({invoice_id})", params={"$select": "totalamount,totaltax"})).json()
    [tims] = await tims_invoices(h, ExternalID=invoice_id)
    assert sorted(Decimal(line["Tax"]) for line in tims["Lines"]) == [Decimal("2.06"), Decimal("3.09")]
    assert Decimal(tims["Tax"]) == Decimal(str(d365["totaltax"])) == Decimal("5.15")
    assert Decimal(tims["Total"]) == Decimal(str(d365["totalamount"])) == Decimal("67.65")  # 62.50 + 5.15
    posted = await gl_entry(h, f"invoice-{tims['InvoiceID']}")
    assert posted is not None
    assert gl_lines(posted) == [
        ("1200", Decimal("67.65"), Decimal(0)),
        ("4000", Decimal(0), Decimal("62.50")),
        ("2200", Decimal(0), Decimal("5.15")),
    ]

    # Cancelled in Dynamics: TIMS voids the invoice, and its posting is reversed, not deleted.
    r = await h.d365.patch(f"invoices({invoice_id})", json={"statecode": 3, "statuscode": 100003})
    assert r.status_code == 204, r.text
    outcomes = await h.sync()
    assert outcomes.get("dead", 0) == 0, outcomes
    voided = (await h.tims.get(f"invoices/{tims['InvoiceID']}")).json()
    assert voided["Status"] == "Inactive"
    reversal = await gl_entry(h, f"invoice-{tims['InvoiceID']}-reversal")
    assert reversal is not None and reversal["ReversalOf"] == posted["EntryID"]
    assert sorted(gl_lines(reversal)) == sorted((a, c, d) for a, d, c in gl_lines(posted))
    kept = (await h.tims.get(f"gl-entries/{posted['EntryID']}")).json()
    assert kept["Status"] == "Active" and kept["ReversedBy"] == reversal["EntryID"]
    state = (await h.d365.get(f"invoices({invoice_id})", params={"$select": "statecode,statuscode"})).json()
    assert (state["statecode"], state["statuscode"]) == (3, 100003)
    assert await h.sync() == {}


async def test_a_tims_invoice_voided_cancels_the_dynamics_invoice_and_reverses_its_posting(
    finance: Harness,
) -> None:
    h = finance
    _, customer_id, products = await linked_account_and_products(h)
    made = await tims_invoice(
        h, customer_id, [{"product": products[0], "Quantity": 2, "UnitPrice": "40.00", "Tax": "6.60"}]
    )
    tims_id = made["InvoiceID"]
    assert (await h.sync()).get("dead", 0) == 0
    external = (await h.tims.get(f"invoices/{tims_id}")).json()["ExternalID"]
    details = (await d365_invoice(h, external))["invoice_details"]
    assert [Decimal(str(d["priceperunit"])) for d in details] == [Decimal("40.00")]
    total = (await h.d365.get(f"invoices({external})", params={"$select": "totalamount,totaltax"})).json()
    assert (Decimal(str(total["totalamount"])), Decimal(str(total["totaltax"]))) == (
        Decimal("86.60"),
        Decimal("6.60"),
    )

    assert (await h.tims.delete(f"invoices/{tims_id}")).status_code == 204
    outcomes = await h.sync()
    assert outcomes.get("dead", 0) == 0, outcomes
    kept = await h.d365.get(f"invoices({external})", params={"$select": "statecode,statuscode"})
    assert kept.status_code == 200, "the Dynamics invoice is cancelled, not deleted"
    assert (kept.json()["statecode"], kept.json()["statuscode"]) == (3, 100003)
    posted = await gl_entry(h, f"invoice-{tims_id}")
    reversal = await gl_entry(h, f"invoice-{tims_id}-reversal")
    assert posted is not None and reversal is not None and posted["Status"] == "Active"
    assert reversal["ReversalOf"] == posted["EntryID"]
    assert await h.sync() == {}


async def test_a_tims_invoice_voided_before_dynamics_had_it_is_not_sent_but_is_posted_and_reversed(
    finance: Harness,
) -> None:
    h = finance
    _, customer_id, products = await linked_account_and_products(h)
    made = await tims_invoice(h, customer_id, [{"product": products[0], "Quantity": 1, "UnitPrice": "10.00"}])
    assert (await h.tims.delete(f"invoices/{made['InvoiceID']}")).status_code == 204
    outcomes = await h.sync()
    assert outcomes.get("dead", 0) == 0, outcomes
    named = await h.d365.get("invoices", params={"$filter": f"invoicenumber eq '{made['InvoiceNumber']}'"})
    assert named.json()["value"] == []
    posted = await gl_entry(h, f"invoice-{made['InvoiceID']}")
    reversal = await gl_entry(h, f"invoice-{made['InvoiceID']}-reversal")
    assert posted is not None and reversal is not None and reversal["ReversalOf"] == posted["EntryID"]
