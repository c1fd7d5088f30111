"""A TIMS invoice in pounds becomes a Dynamics 365 invoice in pounds that records the rate of its own
date from the project's rate table (rates/fx.csv), that rate's date, and its total in dollars at that
rate; a day the table has no rate for is dead-lettered with what to add, and replays once it is added."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Harness, Systems, ferry, polled, replay_letter, without_history

SYNCS = ("customers", "products", "sales-orders", "invoices")
CENT = Decimal("0.01")
CUSTOMER = {
    "CompanyName": "Thames Cylinder Supply Ltd",
    "FirstName": "Harriet",
    "LastName": "Cole",
    "Email": "harriet@thames-cylinder.example",
    "Currency": "GBP",
    "BillingAddress": {"Line1": "12 Wharf Road", "City": "London", "PostalCode": "N1 7GR", "Country": "GB"},
}


@pytest.fixture
def systems() -> Iterator[Systems]:
    with without_history() as systems:
        yield systems


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "project"


@pytest.fixture
async def harness(root: Path, systems: Systems) -> AsyncIterator[Harness]:
    async with polled(root, systems, syncs=SYNCS, workers=16) as h:
        yield h


async def pound_customer_and_items(h: Harness) -> tuple[int, str, list[int]]:
    """A TIMS customer trading in pounds, synced to a Dynamics account, and two items linked to products."""
    made = await h.tims.post("customers", json=CUSTOMER)
    assert made.status_code == 201, made.text
    outcomes = await h.sync()
    assert outcomes.get("dead", 0) == 0, outcomes
    customer = (await h.tims.get(f"customers/{made.json()['CustomerID']}")).json()
    assert customer["ExternalID"], "the customer reached Dynamics"
    products = (await h.d365.get("products", params={"$filter": "statecode eq 0", "$top": "2"})).json()["value"]
    items = [(await h.tims.get("items", params={"ExternalID": p["productid"]})).json()["data"][0] for p in products]
    return customer["CustomerID"], customer["ExternalID"], [i["ItemID"] for i in items]


async def pound_document(h: Harness, collection: str, customer_id: int, **fields: Any) -> dict[str, Any]:
    made = await h.tims.post(collection, json={"CustomerID": customer_id, "Currency": "GBP", **fields})
    assert made.status_code == 201, made.text
    return dict(made.json())


async def pound_invoice(h: Harness, customer_id: int, items: list[int], day: str) -> dict[str, Any]:
    lines = [
        {"ItemID": items[0], "Quantity": 3, "UnitPrice": "333.33"},
        {"ItemID": items[1], "Quantity": 1, "UnitPrice": "0.01"},
    ]
    return await pound_document(h, "invoices", customer_id, Type="AR", InvoiceDate=day, Lines=lines)


async def dynamics_twin(h: Harness, tims_invoice: dict[str, Any]) -> dict[str, Any]:
    external = (await h.tims.get(f"invoices/{tims_invoice['InvoiceID']}")).json()["ExternalID"]
    assert external, "the TIMS invoice names its Dynamics invoice"
    r = await h.d365.get(f"invoices({external})", params={"$expand": "transactioncurrencyid($select=isocurrencycode)"})
    assert r.status_code == 200, r.text
    return dict(r.json())


def money(value: Any) -> Decimal:
    return Decimal(str(value))


async def test_a_pound_invoice_records_the_rate_of_its_date_and_reconciles_to_the_cent(harness: Harness) -> None:
    h = harness
    await h.sync()
    customer_id, account_id, items = await pound_customer_and_items(h)
    made = await pound_invoice(h, customer_id, items, "2026-11-20")
    assert Decimal(made["Total"]) == Decimal("1000.00")

    outcomes = await h.sync()
    assert outcomes.get("dead", 0) == 0, outcomes
    invoice = await dynamics_twin(h, made)
    assert invoice["_customerid_value"] == account_id
    # In pounds, as raised: Dynamics converts to its base currency itself, ferry converts no amount.
    assert invoice["transactioncurrencyid"]["isocurrencycode"] == "GBP"
    assert money(invoice["totalamount"]) == Decimal("1000.00")
    # The rate table's rate for 20 November is the one dated 16 November (USD,GBP,0.7905).
    assert money(invoice["new_fxrate"]) == Decimal("0.7905")
    assert invoice["new_fxratedate"] == "2026-11-16"
    # 1000.00 GBP at 0.7905 GBP a dollar is 1265.0221... USD: to the cent, half up.
    assert money(invoice["new_fxbasetotal"]) == Decimal("1265.02")
    assert money(invoice["new_fxbasetotal"]) == (money(invoice["totalamount"]) / money(invoice["new_fxrate"])).quantize(
        CENT, ROUND_HALF_UP
    )
    # Dataverse's own rate is the currency record's, stamped at saving, with its base amounts derived from it.
    currency = (await h.d365.get("transactioncurrencies(isocurrencycode='GBP')")).json()
    assert money(invoice["exchangerate"]) == money(currency["exchangerate"]) == Decimal("0.79")
    assert money(invoice["totalamount_base"]) == Decimal("1265.82")

    assert await h.sync() == {}  # settled: nothing echoes back to TIMS, nothing is written again


async def test_a_day_without_a_rate_is_dead_lettered_and_replays_after_the_rate_is_added(
    root: Path, harness: Harness
) -> None:
    h = harness
    await h.sync()
    customer_id, _, items = await pound_customer_and_items(h)
    made = await pound_invoice(h, customer_id, items, "2024-12-15")  # the table starts in January 2025

    outcomes = await h.sync()
    assert outcomes.get("dead") == 1, outcomes
    listed = ferry("dlq", "list", str(root), "--json")
    assert listed.returncode == 0, listed.stderr
    [letter] = json.loads(listed.stdout)
    assert letter["sync"] == "invoices" and letter["record_id"] == str(made["InvoiceID"])
    assert (
        "no exchange rate from USD to GBP on or before 2024-12-15 in rates/fx.csv "
        "(its first rate is dated 2025-01-01): add one, then replay"
    ) in letter["error"]
    assert "Traceback" not in letter["error"]
    assert (await h.tims.get(f"invoices/{made['InvoiceID']}")).json()["ExternalID"] is None  # never written

    # Finance adds December 2024's rate to the file; ferry keeps running, and the replay uses it.
    with (root / "rates" / "fx.csv").open("a") as rates:
        rates.write("USD,GBP,0.7968,2024-12-02,added for a late invoice\n")
    await replay_letter(h, root, letter["id"])

    invoice = await dynamics_twin(h, made)
    assert (money(invoice["new_fxrate"]), invoice["new_fxratedate"]) == (Decimal("0.7968"), "2024-12-02")
    assert money(invoice["new_fxbasetotal"]) == Decimal("1255.02")  # 1000.00 / 0.7968 = 1255.0200...
    assert json.loads(ferry("dlq", "list", str(root), "--json").stdout) == []


async def test_a_rate_corrected_later_reaches_new_invoices_and_leaves_synced_ones_as_they_were(
    root: Path, harness: Harness
) -> None:
    h = harness
    await h.sync()
    customer_id, _, items = await pound_customer_and_items(h)
    first = await pound_invoice(h, customer_id, items, "2026-11-20")
    assert (await h.sync()).get("dead", 0) == 0
    before = await dynamics_twin(h, first)
    assert money(before["new_fxrate"]) == Decimal("0.7905")

    # The mid-month rate is corrected in the file.
    path = root / "rates" / "fx.csv"
    text = path.read_text()
    assert "USD,GBP,0.7905,2026-11-16" in text
    path.write_text(text.replace("USD,GBP,0.7905,2026-11-16", "USD,GBP,0.7921,2026-11-16"))
    await asyncio.sleep(1.1)  # found rates are checked against the file at most once a second

    # Nothing changed in either system: nothing is written.
    assert await h.sync() == {}
    # The first invoice is paid in TIMS: its state reaches Dynamics, its rate stays the one it was raised at.
    paid = await h.tims.post("payments", json={"InvoiceID": first["InvoiceID"], "Amount": "1000.00"})
    assert paid.status_code == 201, paid.text
    assert (await h.sync()).get("dead", 0) == 0
    after = await dynamics_twin(h, first)
    assert after["statecode"] == 2  # paid
    for column in ("new_fxrate", "new_fxratedate", "new_fxbasetotal", "exchangerate", "totalamount_base"):
        assert after[column] == before[column], column

    # A new invoice of the same day takes the corrected rate.
    second = await pound_invoice(h, customer_id, items, "2026-11-20")
    assert (await h.sync()).get("dead", 0) == 0
    later = await dynamics_twin(h, second)
    assert (money(later["new_fxrate"]), later["new_fxratedate"]) == (Decimal("0.7921"), "2026-11-16")
    assert money(later["new_fxbasetotal"]) == Decimal("1262.47")  # 1000.00 / 0.7921 = 1262.4668...


async def test_a_pound_sales_order_records_the_rate_of_its_order_date(harness: Harness) -> None:
    h = harness
    await h.sync()
    customer_id, account_id, items = await pound_customer_and_items(h)
    line = {"ItemID": items[0], "Quantity": 2, "UnitPrice": "123.45"}
    made = await pound_document(
        h, "sales-orders", customer_id, OrderNumber="UK-7001", OrderDate="2026-11-03", Lines=[line]
    )
    assert (await h.sync()).get("dead", 0) == 0
    external = (await h.tims.get(f"sales-orders/{made['SalesOrderID']}")).json()["ExternalID"]
    assert external, "the TIMS order names its Dynamics order"
    order = (await h.d365.get(f"salesorders({external})")).json()
    assert order["_customerid_value"] == account_id
    assert money(order["totalamount"]) == Decimal("246.90")
    # 3 November takes the rate dated 2 November (USD,GBP,0.7890); 246.90 / 0.7890 = 312.927...
    assert (money(order["new_fxrate"]), order["new_fxratedate"]) == (Decimal("0.7890"), "2026-11-02")
    assert money(order["new_fxbasetotal"]) == Decimal("312.93")
    assert await h.sync() == {}
