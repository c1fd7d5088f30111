"""GL entries: every TIMS invoice and payment posts one balanced journal entry, from the mapping's account
table, to the cent; an entry TIMS refuses (closed period, not balanced) waits in the dead-letter queue
with TIMS's reason and is posted when replayed after the fix."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ferry.sandboxes.dynamics365 import Dynamics365Sandbox
from ferry.sandboxes.kit.server import running
from ferry.sandboxes.tims import TimsSandbox
from tests.e2e.conftest import (
    Harness,
    Systems,
    eventually,
    ferry,
    ferry_beside,
    live,
    make_project,
    polled,
    replay_letter,
    without_history,
)

SYNCS = ("customers", "invoice-postings", "payment-postings")


@pytest.fixture
def systems() -> Iterator[Systems]:
    with without_history() as systems:
        yield systems


async def new_invoice(h: Harness, invoice_date: str | None = None) -> dict[str, Any]:
    """A TIMS AR invoice of 2 x 40.00 + 5 x 3.10 = 95.50."""
    customer = (await h.tims.get("customers", params={"pageSize": "1"})).json()["data"][0]
    items = (await h.tims.get("items", params={"pageSize": "2"})).json()["data"]
    body: dict[str, Any] = {
        "Type": "AR",
        "CustomerID": customer["CustomerID"],
        "Lines": [
            {"ItemID": items[0]["ItemID"], "Quantity": 2, "UnitPrice": "40.00"},
            {"ItemID": items[1]["ItemID"], "Quantity": 5, "UnitPrice": "3.10"},
        ],
    }
    if invoice_date:
        body["InvoiceDate"] = invoice_date
    made = await h.tims.post("invoices", json=body)
    assert made.status_code == 201, made.text
    return dict(made.json())


async def entry(h: Harness, external_id: str) -> dict[str, Any] | None:
    found = (await h.tims.get("gl-entries", params={"ExternalID": external_id})).json()["data"]
    assert len(found) <= 1, f"more than one entry for {external_id}"
    return dict(found[0]) if found else None


def lines(posted: dict[str, Any]) -> list[tuple[str, Decimal, Decimal]]:
    return [(line["Account"], Decimal(line["Debit"]), Decimal(line["Credit"])) for line in posted["Lines"]]


async def replay(h: Harness, root: Path, sync: str) -> dict[str, Any]:
    """Replay the one dead letter of `sync` with the CLI, as a person would, and let the engine settle it."""
    listed = ferry("dlq", "list", str(root), "--json")
    assert listed.returncode == 0, listed.stderr
    [letter] = [d for d in json.loads(listed.stdout) if d["sync"] == sync]
    await replay_letter(h, root, letter["id"])
    return dict(letter)


async def test_invoices_and_payments_post_balanced_entries_that_reconcile_to_the_cent(
    tmp_path: Path, systems: Systems
) -> None:
    async with polled(tmp_path / "p", systems, syncs=SYNCS) as h:
        await h.sync()
        invoice = await new_invoice(h)
        for amount in ("33.33", "20.01"):
            r = await h.tims.post("payments", json={"InvoiceID": invoice["InvoiceID"], "Amount": amount})
            assert r.status_code == 201, r.text
        outcomes = await h.sync()
        assert outcomes.get("dead", 0) == 0, outcomes

        posted = await entry(h, f"invoice-{invoice['InvoiceID']}")
        assert posted is not None
        assert lines(posted) == [("1200", Decimal("95.50"), Decimal(0)), ("4000", Decimal(0), Decimal("95.50"))]
        assert posted["PostingDate"] == invoice["InvoiceDate"] and posted["Period"] == invoice["InvoiceDate"][:7]
        pays = (await h.tims.get("payments", params={"InvoiceID": str(invoice["InvoiceID"])})).json()["data"]
        entries = [posted]
        for payment in pays:
            paid = await entry(h, f"payment-{payment['PaymentID']}")
            assert paid is not None
            assert lines(paid) == [
                ("1000", Decimal(payment["Amount"]), Decimal(0)),
                ("1200", Decimal(0), Decimal(payment["Amount"])),
            ]
            entries.append(paid)
        every = [line for e in entries for line in lines(e)]
        assert sum(d for _, d, _ in every) == sum(c for _, _, c in every)  # the ledger balances
        receivable = sum(d - c for account, d, c in every if account == "1200")
        balance = Decimal((await h.tims.get(f"invoices/{invoice['InvoiceID']}")).json()["Balance"])
        assert receivable == balance == Decimal("42.16")  # 95.50 - 33.33 - 20.01, to the cent

        assert await h.sync() == {}  # each posted once: later changes of the invoice post nothing more
        assert len((await h.tims.get("gl-entries", params={"pageSize": "500"})).json()["data"]) == 3


async def test_an_invoice_with_tax_posts_receivables_gross_revenue_net_and_tax_payable_to_the_cent(
    tmp_path: Path, systems: Systems
) -> None:
    async with polled(tmp_path / "p", systems, syncs=SYNCS) as h:
        await h.sync()
        customer = (await h.tims.get("customers", params={"pageSize": "1"})).json()["data"][0]
        vendor = (await h.tims.get("vendors", params={"pageSize": "1"})).json()["data"][0]
        items = (await h.tims.get("items", params={"pageSize": "2"})).json()["data"]
        taxed = [
            {"ItemID": items[0]["ItemID"], "Quantity": 2, "UnitPrice": "40.00", "Tax": "6.60"},
            {"ItemID": items[1]["ItemID"], "Quantity": 5, "UnitPrice": "3.10", "Tax": "1.28"},
        ]
        sale = await h.tims.post("invoices", json={"Type": "AR", "CustomerID": customer["CustomerID"], "Lines": taxed})
        bill = await h.tims.post("invoices", json={"Type": "AP", "VendorID": vendor["VendorID"], "Lines": taxed})
        assert sale.status_code == bill.status_code == 201, (sale.text, bill.text)
        assert (sale.json()["Tax"], sale.json()["Total"]) == ("7.88", "103.38")
        paid = await h.tims.post("payments", json={"InvoiceID": sale.json()["InvoiceID"], "Amount": "50.00"})
        assert paid.status_code == 201, paid.text
        outcomes = await h.sync()
        assert outcomes.get("dead", 0) == 0, outcomes

        ar = await entry(h, f"invoice-{sale.json()['InvoiceID']}")
        ap = await entry(h, f"invoice-{bill.json()['InvoiceID']}")
        assert ar is not None and ap is not None
        assert lines(ar) == [
            ("1200", Decimal("103.38"), Decimal(0)),  # receivable: what the customer owes, tax included
            ("4000", Decimal(0), Decimal("95.50")),  # revenue: the net
            ("2200", Decimal(0), Decimal("7.88")),  # sales tax payable
        ]
        assert lines(ap) == [
            ("5000", Decimal("95.50"), Decimal(0)),
            ("1400", Decimal("7.88"), Decimal(0)),  # input tax, recoverable
            ("2000", Decimal(0), Decimal("103.38")),
        ]
        for posted in (ar, ap):
            assert sum(d for _, d, _ in lines(posted)) == sum(c for _, _, c in lines(posted))
        payment = await entry(h, f"payment-{paid.json()['PaymentID']}")
        assert payment is not None
        every = [line for e in (ar, payment) for line in lines(e)]
        receivable = sum(d - c for account, d, c in every if account == "1200")
        balance = Decimal((await h.tims.get(f"invoices/{sale.json()['InvoiceID']}")).json()["Balance"])
        assert receivable == balance == Decimal("53.38")  # 103.38 - 50.00: the payment carries no tax line


async def test_an_invoice_in_a_closed_period_waits_with_the_reason_then_posts_when_reopened_and_replayed(
    tmp_path: Path, systems: Systems
) -> None:
    root = tmp_path / "p"
    async with polled(root, systems, syncs=SYNCS) as h:
        await h.sync()
        closed_before = (await h.control["tims"].get("/_sandbox/periods")).json()["closedBefore"]
        assert closed_before, "the sandbox closes the periods before the previous month"
        first = date.fromisoformat(f"{closed_before}-01")
        late = (first - timedelta(days=10)).isoformat()  # an invoice dated in the last closed month
        invoice = await new_invoice(h, invoice_date=late)

        outcomes = await h.sync()
        assert outcomes.get("dead") == 1, outcomes
        assert await entry(h, f"invoice-{invoice['InvoiceID']}") is None
        [letter] = await h.assembly.store.dead_letters(sync="invoice-postings")
        assert letter.record_id == str(invoice["InvoiceID"]) and letter.attempts == 1  # not retried
        assert f"Period {late[:7]} is closed" in letter.error, letter.error
        assert await h.sync() == {}  # it stays there: nothing retried, nothing lost

        # The accountant reopens the period; replayed, the invoice posts.
        r = await h.control["tims"].post("/_sandbox/periods", json={"closedBefore": late[:7]})
        assert r.status_code == 200 and r.json() == {"closedBefore": late[:7]}
        await replay(h, root, "invoice-postings")
        posted = await entry(h, f"invoice-{invoice['InvoiceID']}")
        assert posted is not None and posted["Period"] == late[:7]
        assert lines(posted) == [("1200", Decimal("95.50"), Decimal(0)), ("4000", Decimal(0), Decimal("95.50"))]
        assert await h.assembly.store.dead_letters(sync="invoice-postings") == []


async def test_an_entry_that_does_not_balance_waits_with_the_reason_then_posts_after_the_fix(
    tmp_path: Path, systems: Systems
) -> None:
    root = tmp_path / "p"
    make_project(root, systems, syncs=SYNCS)
    mapping = root / "mappings" / "invoice-to-gl-entry.yaml"
    good = mapping.read_text()
    right = "- {role: receivable, side: debit, amount: gross}"
    assert right in good
    mapping.write_text(good.replace(right, "- {role: receivable, side: credit, amount: gross}"))

    async with polled(root, systems, syncs=SYNCS) as h:
        await h.sync()
        invoice = await new_invoice(h)
        outcomes = await h.sync()
        assert outcomes.get("dead") == 1, outcomes
        [letter] = await h.assembly.store.dead_letters(sync="invoice-postings")
        assert "does not balance: debits 0.00, credits 191.00" in letter.error, letter.error
        assert await entry(h, f"invoice-{invoice['InvoiceID']}") is None

    mapping.write_text(good)  # the postings table is put right, and ferry started again
    async with polled(root, systems, syncs=SYNCS) as h:
        await replay(h, root, "invoice-postings")
        posted = await entry(h, f"invoice-{invoice['InvoiceID']}")
        assert posted is not None
        assert lines(posted) == [("1200", Decimal("95.50"), Decimal(0)), ("4000", Decimal(0), Decimal("95.50"))]


async def test_a_ledger_with_history_skip_passes_over_the_invoices_it_already_holds(tmp_path: Path) -> None:
    """With `history: skip`, a year of invoices, many in closed periods, is neither posted again nor dead-lettered."""
    d365 = Dynamics365Sandbox(sizes={"accounts": 10, "vendors": 1, "salesorders": 0, "msdyn_purchaseorders": 0})
    tims = TimsSandbox(sizes={"customers": 15})  # with its invoice history
    with running(d365) as d365_url, running(tims) as tims_url:
        systems = Systems(d365, d365_url, tims, tims_url)
        root = tmp_path / "p"
        options: dict[str, Any] = {"syncs": ("customers", "invoice-postings"), "poll_seconds": None}
        make_project(root, systems, **options)
        text = (root / "ferry.yaml").read_text()
        (root / "ferry.yaml").write_text(
            text.replace("  - name: invoice-postings\n", "  - name: invoice-postings\n    history: skip\n")
        )
        async with live(root, systems, **options) as h:
            old = (await h.tims.get("invoices", params={"pageSize": "500"})).json()["data"]
            assert len(old) > 10
            async with asyncio.timeout(60):
                await h.engine.drain()
            posted = (await h.tims.get("gl-entries", params={"pageSize": "500"})).json()["data"]
            assert not {e["ExternalID"] for e in posted} & {f"invoice-{i['InvoiceID']}" for i in old}
            letters = await ferry_beside("dlq", "list", str(root), "--json")
            assert [d for d in json.loads(letters.stdout) if d["sync"] == "invoice-postings"] == []

            made = await new_invoice(h)  # from now on, every invoice posts, through TIMS's webhook
            assert await eventually(lambda: entry(h, f"invoice-{made['InvoiceID']}"), within=60)
