"""Payments: one recorded in TIMS moves the Dynamics invoice to partly paid, then paid; an invoice marked
paid in Dynamics becomes one TIMS payment for its balance, once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ferry.sandboxes.kit import dumps
from tests.e2e.conftest import Harness, Systems, live, polled, quiet, without_history

SYNCS = ("customers", "products", "sales-orders", "invoices", "invoice-payments")


@pytest.fixture
def systems() -> Iterator[Systems]:
    with without_history() as systems:
        yield systems


@pytest.fixture
async def harness(tmp_path: Path, systems: Systems) -> AsyncIterator[Harness]:
    async with polled(tmp_path / "project", systems, syncs=SYNCS, workers=16) as h:
        yield h


async def tims_invoice(h: Harness, customer_index: int = 0) -> dict[str, Any]:
    """A new TIMS AR invoice of 2 x 40.00 + 5 x 3.10 = 95.50 for a customer linked to a Dynamics account."""
    customers = (await h.tims.get("customers", params={"pageSize": "500"})).json()["data"]
    customer = [c for c in customers if c["ExternalID"] and c["Currency"] == "USD"][customer_index]
    items = [i for i in (await h.tims.get("items", params={"pageSize": "50"})).json()["data"] if i["ExternalID"]]
    made = await h.tims.post(
        "invoices",
        json={
            "Type": "AR",
            "CustomerID": customer["CustomerID"],
            "Lines": [
                {"ItemID": items[0]["ItemID"], "Quantity": 2, "UnitPrice": "40.00"},
                {"ItemID": items[1]["ItemID"], "Quantity": 5, "UnitPrice": "3.10"},
            ],
        },
    )
    assert made.status_code == 201, made.text
    return dict(made.json())


async def payments(h: Harness, invoice_id: int) -> list[dict[str, Any]]:
    return list((await h.tims.get("payments", params={"InvoiceID": str(invoice_id)})).json()["data"])


async def state(h: Harness, d365_invoice_id: str) -> tuple[int, int]:
    row = (await h.d365.get(f"invoices({d365_invoice_id})", params={"$select": "statecode,statuscode"})).json()
    return row["statecode"], row["statuscode"]


async def test_payments_recorded_in_tims_move_the_dynamics_invoice_to_partly_paid_then_paid(harness: Harness) -> None:
    h = harness
    await h.sync()
    invoice = await tims_invoice(h)
    await h.sync()
    d365_id = (await h.tims.get(f"invoices/{invoice['InvoiceID']}")).json()["ExternalID"]
    assert d365_id and await state(h, d365_id) == (0, 1)  # Active, New

    part = await h.tims.post(
        "payments", json={"InvoiceID": invoice["InvoiceID"], "Amount": "45.50", "Method": "Check", "Reference": "1001"}
    )
    assert part.status_code == 201, part.text
    assert (await h.tims.get(f"invoices/{invoice['InvoiceID']}")).json()["PaymentStatus"] == "Partial"
    await h.sync()
    assert await state(h, d365_id) == (2, 100002)  # Paid, Partial

    rest = await h.tims.post("payments", json={"InvoiceID": invoice["InvoiceID"], "Amount": "50.00", "Method": "ACH"})
    assert rest.status_code == 201, rest.text
    outcomes = await h.sync()
    assert outcomes.get("dead", 0) == 0, outcomes
    assert await state(h, d365_id) == (2, 100001)  # Paid, Complete
    # The Dynamics invoice is now paid, but TIMS has no balance left: no payment is made for it.
    amounts = [Decimal(p["Amount"]) for p in await payments(h, invoice["InvoiceID"])]
    assert amounts == [Decimal("45.50"), Decimal("50.00")]
    tims = (await h.tims.get(f"invoices/{invoice['InvoiceID']}")).json()
    assert (tims["PaymentStatus"], Decimal(tims["Balance"])) == ("Paid", Decimal("0.00"))
    assert await h.sync() == {}  # settled


async def test_an_invoice_marked_paid_in_dynamics_makes_one_tims_payment_for_its_balance(harness: Harness) -> None:
    h = harness
    await h.sync()
    invoice = await tims_invoice(h, customer_index=1)
    part = await h.tims.post("payments", json={"InvoiceID": invoice["InvoiceID"], "Amount": "20.25"})
    assert part.status_code == 201, part.text
    await h.sync()
    d365_id = (await h.tims.get(f"invoices/{invoice['InvoiceID']}")).json()["ExternalID"]
    assert await state(h, d365_id) == (2, 100002)

    # The rest is received and recorded in Dynamics: the invoice is paid in full there.
    r = await h.d365.patch(f"invoices({d365_id})", json={"statecode": 2, "statuscode": 100001})
    assert r.status_code == 204, r.text
    outcomes = await h.sync()
    assert outcomes.get("dead", 0) == 0, outcomes
    made = [p for p in await payments(h, invoice["InvoiceID"]) if p["ExternalID"] == d365_id]
    assert len(made) == 1
    [payment] = made
    assert Decimal(payment["Amount"]) == Decimal("75.25")  # the balance: 95.50 - 20.25
    assert (payment["Type"], payment["Currency"]) == ("AR", "USD")
    tims = (await h.tims.get(f"invoices/{invoice['InvoiceID']}")).json()
    assert (tims["PaymentStatus"], Decimal(tims["Balance"])) == ("Paid", Decimal("0.00"))
    assert await state(h, d365_id) == (2, 100001)

    # Once: another edit of the paid invoice, a new poll, nothing more is paid.
    r = await h.d365.patch(f"invoices({d365_id})", json={"description": "Settled by wire transfer"})
    assert r.status_code == 204, r.text
    await h.sync()
    assert len(await payments(h, invoice["InvoiceID"])) == 2
    assert await h.sync() == {}


async def test_a_dynamics_invoice_raised_paid_is_paid_in_tims_once_it_is_posted_there(harness: Harness) -> None:
    h = harness
    await h.sync()
    customers = (await h.tims.get("customers", params={"pageSize": "500"})).json()["data"]
    account = next(c for c in customers if c["ExternalID"] and c["Currency"] == "USD")["ExternalID"]
    product = (await h.d365.get("products", params={"$filter": "statecode eq 0", "$top": "1"})).json()["value"][0]
    made = await h.d365.post(
        "invoices",
        json={"name": "Counter sale", "customerid_account@odata.bind": f"/accounts({account})"},
        headers={"Prefer": "return=representation"},
    )
    d365_id = made.json()["invoiceid"]
    r = await h.d365.post(
        "invoicedetails",
        json={
            "invoiceid@odata.bind": f"/invoices({d365_id})",
            "productid@odata.bind": f"/products({product['productid']})",
            "quantity": 4,
            "priceperunit": 9.99,
        },
    )
    assert r.status_code == 204, r.text
    r = await h.d365.patch(f"invoices({d365_id})", json={"statecode": 2, "statuscode": 100001})
    assert r.status_code == 204, r.text

    outcomes = await h.sync()  # the payment waits for the invoice to be posted in TIMS, then pays it
    assert outcomes.get("dead", 0) == 0, outcomes
    [tims] = (await h.tims.get("invoices", params={"ExternalID": d365_id})).json()["data"]
    [payment] = await payments(h, tims["InvoiceID"])
    assert Decimal(payment["Amount"]) == Decimal("39.96") and payment["ExternalID"] == d365_id
    assert (await h.tims.get(f"invoices/{tims['InvoiceID']}")).json()["PaymentStatus"] == "Paid"
    assert await h.sync() == {}


PARTS = (*SYNCS, "part-payments")


REPRESENT = {"Content-Type": "application/json", "Prefer": "return=representation"}


async def apply_payment(h: Harness, d365_id: str, amount: str, name: str) -> str:
    """A Field Service payment received from the invoice's account, applied to the invoice: its payment detail."""
    account = (await h.d365.get(f"invoices({d365_id})", params={"$select": "_customerid_value"})).json()
    payment = await h.d365.post(
        "msdyn_payments",
        content=dumps(  # money as an exact JSON number, as Dataverse takes it
            {
                "msdyn_name": name,
                "msdyn_Account@odata.bind": f"/accounts({account['_customerid_value']})",
                "msdyn_amount": Decimal(amount),
                "msdyn_date": "2026-11-21",
            }
        ),
        headers=REPRESENT,
    )
    assert payment.status_code == 201, payment.text
    detail = await h.d365.post(
        "msdyn_paymentdetails",
        content=dumps(
            {
                "msdyn_name": f"{name} on invoice",
                "msdyn_Payment@odata.bind": f"/msdyn_payments({payment.json()['msdyn_paymentid']})",
                "msdyn_Invoice@odata.bind": f"/invoices({d365_id})",
                "msdyn_paymentamount": Decimal(amount),
            }
        ),
        headers=REPRESENT,
    )
    assert detail.status_code == 201, detail.text
    return str(detail.json()["msdyn_paymentdetailid"])


async def balance(h: Harness, invoice_id: int) -> tuple[str, Decimal]:
    tims = (await h.tims.get(f"invoices/{invoice_id}")).json()
    return tims["PaymentStatus"], Decimal(tims["Balance"])


async def test_part_payments_recorded_in_dynamics_each_reach_tims_once_and_the_final_one_pays_the_rest(
    tmp_path: Path, systems: Systems
) -> None:
    async with polled(tmp_path / "p", systems, syncs=PARTS, workers=16) as h:
        await h.sync()
        invoice = await tims_invoice(h)
        await h.sync()
        d365_id = (await h.tims.get(f"invoices/{invoice['InvoiceID']}")).json()["ExternalID"]

        first = await apply_payment(h, d365_id, "40.00", "Check 5521")
        outcomes = await h.sync()
        assert outcomes.get("dead", 0) == 0, outcomes
        [made] = await payments(h, invoice["InvoiceID"])
        assert (made["ExternalID"], Decimal(made["Amount"]), made["Type"]) == (first, Decimal("40.00"), "AR")
        assert await balance(h, invoice["InvoiceID"]) == ("Partial", Decimal("55.50"))
        assert await state(h, d365_id) == (2, 100002)  # Paid, Partial: back through the invoices sync

        # The same payment detail changed and read again: still one TIMS payment for it.
        r = await h.d365.patch(f"msdyn_paymentdetails({first})", json={"msdyn_name": "Check 5521 (cleared)"})
        assert r.status_code == 204, r.text
        await h.sync()
        assert len(await payments(h, invoice["InvoiceID"])) == 1

        await apply_payment(h, d365_id, "20.25", "Wire 88")
        await h.sync()
        assert await balance(h, invoice["InvoiceID"]) == ("Partial", Decimal("35.25"))

        # The customer pays the rest, and the invoice is marked paid in full in Dynamics.
        r = await h.d365.patch(f"invoices({d365_id})", json={"statecode": 2, "statuscode": 100001})
        assert r.status_code == 204, r.text
        outcomes = await h.sync()
        assert outcomes.get("dead", 0) == 0, outcomes
        amounts = sorted(Decimal(p["Amount"]) for p in await payments(h, invoice["InvoiceID"]))
        assert amounts == [Decimal("20.25"), Decimal("35.25"), Decimal("40.00")]  # the last is the remainder
        assert sum(amounts) == Decimal(invoice["Total"])
        assert await balance(h, invoice["InvoiceID"]) == ("Paid", Decimal("0.00"))
        assert await state(h, d365_id) == (2, 100001)
        assert await h.sync() == {}


async def test_an_invoice_paid_in_full_with_a_part_payment_not_yet_in_tims_never_pays_the_part_twice(
    tmp_path: Path, systems: Systems
) -> None:
    async with polled(tmp_path / "p", systems, syncs=PARTS, workers=16) as h:
        await h.sync()
        invoice = await tims_invoice(h, customer_index=1)
        await h.sync()
        d365_id = (await h.tims.get(f"invoices/{invoice['InvoiceID']}")).json()["ExternalID"]
        # Both at once, before ferry looks: a part payment, and the invoice marked paid in full.
        part = await apply_payment(h, d365_id, "30.00", "Cash at the counter")
        r = await h.d365.patch(f"invoices({d365_id})", json={"statecode": 2, "statuscode": 100001})
        assert r.status_code == 204, r.text

        outcomes = await h.sync()
        assert outcomes.get("dead", 0) == 0, outcomes
        made = {p["ExternalID"]: Decimal(p["Amount"]) for p in await payments(h, invoice["InvoiceID"])}
        assert made == {part: Decimal("30.00"), d365_id: Decimal("65.50")}  # 95.50 - 30.00, not 95.50
        assert await balance(h, invoice["InvoiceID"]) == ("Paid", Decimal("0.00"))
        assert await h.sync() == {}


async def test_a_part_payment_whose_webhooks_arrive_twice_makes_one_tims_payment(
    tmp_path: Path, systems: Systems
) -> None:
    async with live(tmp_path / "p", systems, syncs=PARTS) as h:  # polls once on start, then webhooks
        await quiet(h)
        invoice = await tims_invoice(h)
        await quiet(h)
        d365_id = (await h.tims.get(f"invoices/{invoice['InvoiceID']}")).json()["ExternalID"]
        assert d365_id
        fault = await h.control["d365"].post("/_sandbox/faults", json={"webhook_duplicate_rate": 1.0})
        assert fault.status_code == 200, fault.text
        received = h.engine.receiver.received
        detail = await apply_payment(h, d365_id, "45.50", "Check 7001")
        await quiet(h)
        assert h.engine.receiver.received >= received + 2  # the detail's change, delivered twice (and more after it)
        [made] = await payments(h, invoice["InvoiceID"])
        assert made["ExternalID"] == detail and Decimal(made["Amount"]) == Decimal("45.50")
        assert await balance(h, invoice["InvoiceID"]) == ("Partial", Decimal("50.00"))
        assert await h.assembly.store.dead_letters() == []


async def test_a_payment_detail_deleted_in_dynamics_voids_its_tims_payment_and_reverses_its_posting(
    tmp_path: Path, systems: Systems
) -> None:
    async with polled(tmp_path / "p", systems, syncs=(*PARTS, "payment-postings", "payment-reversals")) as h:
        await h.sync()
        invoice = await tims_invoice(h)
        await h.sync()
        d365_id = (await h.tims.get(f"invoices/{invoice['InvoiceID']}")).json()["ExternalID"]
        detail = await apply_payment(h, d365_id, "25.00", "Check 9090")
        await h.sync()
        [payment] = await payments(h, invoice["InvoiceID"])
        posted = (await h.tims.get("gl-entries", params={"ExternalID": f"payment-{payment['PaymentID']}"})).json()
        assert len(posted["data"]) == 1

        assert (await h.d365.delete(f"msdyn_paymentdetails({detail})")).status_code == 204
        outcomes = await h.sync()
        assert outcomes.get("dead", 0) == 0, outcomes
        assert await payments(h, invoice["InvoiceID"]) == []  # voided: listed only with inactive ones
        assert await balance(h, invoice["InvoiceID"]) == ("Unpaid", Decimal("95.50"))
        reversal = (
            await h.tims.get("gl-entries", params={"ExternalID": f"payment-{payment['PaymentID']}-reversal"})
        ).json()["data"]
        assert [r["ReversalOf"] for r in reversal] == [posted["data"][0]["EntryID"]]
