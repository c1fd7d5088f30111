"""Procure to pay as a workflow, served as `ferry run` serves it: an approved Dynamics 365 purchase order
is ordered in TIMS, waits for its receipt there, is billed and paid in TIMS, and Dynamics hears of it."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

from ferry.engine.store.base import Run
from tests.e2e.conftest import Harness, Systems, eventually, live

LINES = "msdyn_msdyn_purchaseorder_msdyn_purchaseorderproduct_PurchaseOrder"
SYNCS = ("vendors", "products", "purchase-orders")
OPTIONS: dict[str, Any] = {"syncs": SYNCS, "workflows": ("procure-to-pay",), "poll_seconds": None}


async def new_purchase_order(h: Harness, name: str, quantity: int, unit_cost: str) -> str:
    """A buyer raises a purchase order in Dynamics 365, submitted and approved, with one product."""
    vendors = (await h.d365.get("accounts", params={"$filter": "customertypecode eq 11", "$top": "1"})).json()
    products = (await h.d365.get("products", params={"$filter": "statecode eq 0", "$top": "1"})).json()
    body = {
        "msdyn_name": name,
        "msdyn_Vendor@odata.bind": f"/accounts({vendors['value'][0]['accountid']})",
        "msdyn_purchaseorderdate": "2026-12-01",
        "msdyn_systemstatus": 690970001,  # Submitted
        "msdyn_approvalstatus": 690970000,  # Approved
        LINES: [
            {
                "msdyn_name": "line 1",
                "msdyn_Product@odata.bind": f"/products({products['value'][0]['productid']})",
                "msdyn_quantity": quantity,
                "msdyn_unitcost": orjson.Fragment(unit_cost.encode()),  # a JSON number with exactly these digits
            }
        ],
    }
    made = await h.d365.post(
        "msdyn_purchaseorders",
        content=orjson.dumps(body),
        headers={"Prefer": "return=representation", "Content-Type": "application/json"},
    )
    assert made.status_code == 201, made.text
    return str(made.json()["msdyn_purchaseorderid"])


async def run_of(h: Harness, po_id: str, state: str | None = None, step: str | None = None) -> Run:
    async def found() -> Run | None:
        run = await h.assembly.store.runs.find("procure-to-pay", po_id)
        if run is None or (state and run.state != state) or (step and run.step != step):
            return None
        return run

    return await eventually(found, within=60)


async def receive_in_tims(h: Harness, tims_po: str) -> None:
    """The warehouse receives the goods in TIMS."""
    received = await h.tims.patch(f"purchase-orders/{tims_po}", json={"Status": "Received"})
    assert received.status_code == 200, received.text


async def test_an_approved_purchase_order_goes_through_receipt_bill_and_payment(
    tmp_path: Path, systems: Systems
) -> None:
    async with live(tmp_path / "project", systems, **OPTIONS) as h:
        po_id = await new_purchase_order(h, "PO-P2P-1", 4, "12.50")
        waiting = await run_of(h, po_id, state="waiting", step="received")
        tims_po = waiting.steps["tims_po"].output["id"]
        po = (await h.tims.get(f"purchase-orders/{tims_po}")).json()
        assert po["ExternalID"] == po_id and po["Status"] == "Open"

        await receive_in_tims(h, tims_po)  # its webhook wakes the run
        run = await run_of(h, po_id, state="completed")
        bill = (await h.tims.get(f"invoices/{run.steps['bill'].output['id']}")).json()
        assert (bill["Type"], bill["VendorID"], bill["Total"]) == ("AP", po["VendorID"], "50.00")
        assert bill["PaymentStatus"] == "Paid" and bill["Balance"] == "0.00"
        assert [(line["ItemID"], line["Quantity"]) for line in bill["Lines"]] == [
            (line["ItemID"], line["Quantity"]) for line in po["Lines"]
        ]
        assert run.steps["approval"].state == "skipped"  # a small bill needs no approval
        order = (await h.d365.get(f"msdyn_purchaseorders({po_id})")).json()
        assert order["msdyn_systemstatus"] == 690970004 and Decimal(str(order["msdyn_amountbilled"])) == 50
        payments = (await h.tims.get("payments", params={"InvoiceID": str(bill["InvoiceID"])})).json()["data"]
        assert len(payments) == 1  # one payment, though the run's own writes came back as notices


async def test_a_large_bill_waits_for_approval_and_a_restart_mid_way_repeats_nothing(
    tmp_path: Path, systems: Systems
) -> None:
    root = tmp_path / "project"
    async with live(root, systems, **OPTIONS) as h:
        po_id = await new_purchase_order(h, "PO-P2P-2", 1000, "12.50")
        waiting = await run_of(h, po_id, state="waiting", step="received")
        tims_po = waiting.steps["tims_po"].output["id"]
    # ferry stops while the run waits; the goods arrive meanwhile (nobody hears of it).
    async with live(root, systems, **OPTIONS) as h:
        await receive_in_tims(h, tims_po)
        held = await run_of(h, po_id, state="held")
        assert held.step == "approval"
        assert held.reason is not None and "needs approval before payment" in held.reason and "12500.00" in held.reason
        bill_id = held.steps["bill"].output["id"]

        assert await h.assembly.store.runs.retry(held.id) is not None  # a person approves
        h.engine.runner.wake()
        run = await run_of(h, po_id, state="completed")
        assert run.steps["approval"].output["approved"] is True and run.steps["bill"].output["id"] == bill_id
        bills = await h.tims.get(
            "invoices", params={"Type": "AP", "VendorID": str(held.steps["received"].output["VendorID"])}
        )
        assert [b["InvoiceID"] for b in bills.json()["data"] if b["InvoiceNumber"] == "AP-PO-P2P-2"] == [int(bill_id)]
        paid = (await h.tims.get(f"invoices/{bill_id}")).json()
        assert paid["PaymentStatus"] == "Paid"
