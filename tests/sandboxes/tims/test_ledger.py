"""Tax on invoices and reversing journal entries: what the finance flows rely on."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

BASE = "/api/v1"


async def _customer_and_items(client: httpx.AsyncClient) -> tuple[int, list[int]]:
    customer = (await client.get(f"{BASE}/customers", params={"pageSize": "1"})).json()["data"][0]
    items = (await client.get(f"{BASE}/items", params={"pageSize": "2", "Active": "true"})).json()["data"]
    return customer["CustomerID"], [i["ItemID"] for i in items]


async def test_an_invoice_totals_its_lines_net_plus_the_tax_charged_on_each(client: httpx.AsyncClient) -> None:
    customer_id, items = await _customer_and_items(client)
    lines = [
        {"ItemID": items[0], "Quantity": 2, "UnitPrice": "40.00", "Tax": "6.60"},
        {"ItemID": items[1], "Quantity": 5, "UnitPrice": "3.10", "Discount": "0.50"},
    ]
    r = await client.post(f"{BASE}/invoices", json={"CustomerID": customer_id, "Lines": lines})
    assert r.status_code == 201, r.text
    invoice = r.json()
    assert [(line["LineTotal"], line["Tax"]) for line in invoice["Lines"]] == [("80.00", "6.60"), ("15.00", "0.00")]
    assert (invoice["Tax"], invoice["Total"], invoice["Balance"]) == ("6.60", "101.60", "101.60")

    paid = await client.post(f"{BASE}/payments", json={"InvoiceID": invoice["InvoiceID"], "Amount": "101.60"})
    assert paid.status_code == 201, paid.text
    after = (await client.get(f"{BASE}/invoices/{invoice['InvoiceID']}")).json()
    assert (after["Balance"], after["PaymentStatus"]) == ("0.00", "Paid")  # the gross amount settles it

    negative = await client.post(
        f"{BASE}/invoices", json={"CustomerID": customer_id, "Lines": [{**lines[0], "Tax": "-1.00"}]}
    )
    assert negative.status_code == 400 and negative.json()["errors"][0]["field"] == "Lines[0].Tax"


def _entry(debit_account: str, credit_account: str, amount: str, **extra: Any) -> dict[str, Any]:
    return {
        "PostingDate": "2026-11-20",
        "Lines": [
            {"Account": debit_account, "Debit": amount, "Dimension": "customer:1"},
            {"Account": credit_account, "Credit": amount},
        ],
        **extra,
    }


async def test_a_posted_entry_is_corrected_by_one_reversal_never_deleted_or_edited(client: httpx.AsyncClient) -> None:
    posted = (await client.post(f"{BASE}/gl-entries", json=_entry("1200", "4000", "95.50"))).json()
    entry_id = posted["EntryID"]
    assert posted["ReversalOf"] is None and posted["ReversedBy"] is None

    deleted = await client.delete(f"{BASE}/gl-entries/{entry_id}")
    assert deleted.status_code == 422 and deleted.json()["type"].endswith("posted-entry")
    assert f"ReversalOf {entry_id}" in deleted.json()["detail"]
    edited = await client.patch(
        f"{BASE}/gl-entries/{entry_id}", json={"Lines": _entry("1200", "4000", "9.55")["Lines"]}
    )
    assert edited.status_code == 422 and edited.json()["errors"][0]["field"] == "Lines"
    described = await client.patch(f"{BASE}/gl-entries/{entry_id}", json={"Description": "Invoice 1"})
    assert described.status_code == 200  # the narrative may still change

    not_mirrored = await client.post(f"{BASE}/gl-entries", json=_entry("1200", "4000", "95.50", ReversalOf=entry_id))
    assert not_mirrored.status_code == 422 and not_mirrored.json()["type"].endswith("invalid-reversal")
    too_early = await client.post(
        f"{BASE}/gl-entries", json={**_entry("4000", "1200", "95.50", ReversalOf=entry_id), "PostingDate": "2026-11-19"}
    )
    assert too_early.status_code == 422 and too_early.json()["errors"][0]["field"] == "PostingDate"

    mirror = _entry("4000", "1200", "95.50", ReversalOf=entry_id)
    mirror["Lines"] = [  # the same lines, debits and credits swapped (in any order)
        {"Account": "4000", "Debit": "95.50"},
        {"Account": "1200", "Credit": "95.50", "Dimension": "customer:1"},
    ]
    reversal = await client.post(f"{BASE}/gl-entries", json=mirror)
    assert reversal.status_code == 201, reversal.text
    assert reversal.json()["ReversalOf"] == entry_id
    original = (await client.get(f"{BASE}/gl-entries/{entry_id}")).json()
    assert original["ReversedBy"] == reversal.json()["EntryID"] and original["Status"] == "Active"
    lines = [*original["Lines"], *reversal.json()["Lines"]]
    assert sum(Decimal(line["Debit"]) - Decimal(line["Credit"]) for line in lines if line["Account"] == "1200") == 0

    again = await client.post(f"{BASE}/gl-entries", json=mirror)
    assert again.status_code == 422 and again.json()["type"].endswith("already-reversed")
    assert again.json()["reversedBy"] == reversal.json()["EntryID"]


async def test_a_reversal_in_a_closed_period_is_refused_like_any_posting(client: httpx.AsyncClient) -> None:
    posted = (await client.post(f"{BASE}/gl-entries", json=_entry("1200", "4000", "10.00"))).json()
    closed = await client.post("/_sandbox/periods", json={"closedBefore": "2026-12"})
    assert closed.status_code == 200
    reversal = _entry("4000", "1200", "10.00", ReversalOf=posted["EntryID"])
    reversal["Lines"][0].pop("Dimension")
    reversal["Lines"][1]["Dimension"] = "customer:1"
    r = await client.post(f"{BASE}/gl-entries", json=reversal)
    assert r.status_code == 422 and r.json()["type"].endswith("closed-period"), r.text
    assert (await client.get(f"{BASE}/gl-entries/{posted['EntryID']}")).json()["ReversedBy"] is None
