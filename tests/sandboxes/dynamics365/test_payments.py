"""Field Service payments: a payment from an account, applied to invoices by payment details."""

from __future__ import annotations

from decimal import Decimal

import httpx

from ferry.sandboxes.kit import dumps

REPRESENT = {"Prefer": "return=representation", "Content-Type": "application/json"}


async def test_a_payment_detail_applies_part_of_a_payment_to_an_invoice_and_expands_from_it(
    api: httpx.AsyncClient,
) -> None:
    invoice = (await api.get("invoices", params={"$top": "1", "$select": "invoiceid,_customerid_value"})).json()
    [row] = invoice["value"]
    payment = await api.post(
        "msdyn_payments",
        headers=REPRESENT,
        content=dumps(
            {
                "msdyn_name": "Check 5521",
                "msdyn_Account@odata.bind": f"/accounts({row['_customerid_value']})",
                "msdyn_amount": Decimal("60.00"),
                "msdyn_date": "2026-11-21",
            }
        ),
    )
    assert payment.status_code == 201, payment.text
    detail = await api.post(
        "msdyn_paymentdetails",
        headers=REPRESENT,
        content=dumps(
            {
                "msdyn_name": "Check 5521, part",
                "msdyn_Payment@odata.bind": f"/msdyn_payments({payment.json()['msdyn_paymentid']})",
                "msdyn_Invoice@odata.bind": f"/invoices({row['invoiceid']})",
                "msdyn_paymentamount": Decimal("40.25"),
            }
        ),
    )
    assert detail.status_code == 201, detail.text
    assert detail.json()["_msdyn_invoice_value"] == row["invoiceid"]
    assert detail.json()["statecode"] == 0

    expanded = await api.get(
        f"invoices({row['invoiceid']})",
        params={
            "$select": "invoiceid",
            "$expand": "msdyn_invoice_msdyn_paymentdetail_Invoice($select=msdyn_paymentamount)",
        },
    )
    assert expanded.status_code == 200, expanded.text
    [applied] = expanded.json()["msdyn_invoice_msdyn_paymentdetail_Invoice"]
    assert Decimal(str(applied["msdyn_paymentamount"])) == Decimal("40.25")

    refused = await api.delete(f"invoices({row['invoiceid']})")  # payments applied: the invoice stays
    assert refused.status_code >= 400
    metadata = (await api.get("$metadata")).text
    assert 'EntitySet Name="msdyn_paymentdetails"' in metadata and 'Name="msdyn_Invoice"' in metadata
