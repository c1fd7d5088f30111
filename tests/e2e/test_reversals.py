"""Voided invoices and payments: a posted journal entry is never deleted; the void posts one reversing entry
(the same lines, debits and credits swapped, naming the original), once however often the void arrives, and
a reversal TIMS refuses (its period closed) waits in the dead-letter queue with TIMS's reason."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Harness, Systems, live, polled, quiet, without_history
from tests.e2e.test_gl_entries import entry, lines, new_invoice, replay

SYNCS = ("customers", "invoice-postings", "payment-postings", "invoice-reversals", "payment-reversals")
POSTED = [("1200", Decimal("95.50"), Decimal(0)), ("4000", Decimal(0), Decimal("95.50"))]


@pytest.fixture
def systems() -> Iterator[Systems]:
    with without_history() as systems:
        yield systems


async def entries(h: Harness) -> list[dict[str, Any]]:
    params = {"pageSize": "500", "includeInactive": "true"}
    return list((await h.tims.get("gl-entries", params=params)).json()["data"])


async def void(h: Harness, invoice: dict[str, Any]) -> dict[str, Any]:
    r = await h.tims.delete(f"invoices/{invoice['InvoiceID']}")
    assert r.status_code == 204, r.text
    voided = await h.tims.get(f"invoices/{invoice['InvoiceID']}")
    assert voided.json()["Status"] == "Inactive"
    return dict(voided.json())


def assert_reverses(reversal: dict[str, Any], original: dict[str, Any]) -> None:
    assert reversal["ReversalOf"] == original["EntryID"] and reversal["Status"] == "Active"
    swapped = sorted((account, credit, debit) for account, debit, credit in lines(original))
    assert sorted(lines(reversal)) == swapped


async def test_a_voided_invoice_posts_one_reversal_and_keeps_its_entry(tmp_path: Path, systems: Systems) -> None:
    async with polled(tmp_path / "p", systems, syncs=SYNCS) as h:
        await h.sync()
        invoice = await new_invoice(h)
        assert (await h.sync()).get("dead", 0) == 0
        original = await entry(h, f"invoice-{invoice['InvoiceID']}")
        assert original is not None and lines(original) == POSTED

        voided = await void(h, invoice)
        outcomes = await h.sync()
        assert outcomes.get("dead", 0) == 0, outcomes
        kept = (await h.tims.get(f"gl-entries/{original['EntryID']}")).json()
        assert kept["Status"] == "Active" and lines(kept) == POSTED  # the posting is not deleted
        reversal = await entry(h, f"invoice-{invoice['InvoiceID']}-reversal")
        assert reversal is not None
        assert_reverses(reversal, original)
        assert kept["ReversedBy"] == reversal["EntryID"]
        assert reversal["PostingDate"] == voided["ModifiedAt"][:10]  # dated the day of the void (UTC)
        receivable = sum(d - c for e in (kept, reversal) for account, d, c in lines(e) if account == "1200")
        assert receivable == 0

        assert await h.sync() == {}  # settled: nothing more is posted
        assert len(await entries(h)) == 2


async def test_an_invoice_voided_before_it_was_posted_is_posted_then_reversed(tmp_path: Path, systems: Systems) -> None:
    async with polled(tmp_path / "p", systems, syncs=SYNCS) as h:
        await h.sync()
        invoice = await new_invoice(h)
        await void(h, invoice)  # both the invoice and its void are new to ferry
        outcomes = await h.sync()
        assert outcomes.get("dead", 0) == 0, outcomes
        original = await entry(h, f"invoice-{invoice['InvoiceID']}")
        reversal = await entry(h, f"invoice-{invoice['InvoiceID']}-reversal")
        assert original is not None and reversal is not None
        assert lines(original) == POSTED
        assert_reverses(reversal, original)


async def test_a_post_dated_invoice_voided_today_is_reversed_on_its_own_date(tmp_path: Path, systems: Systems) -> None:
    async with polled(tmp_path / "p", systems, syncs=SYNCS) as h:
        await h.sync()
        ahead = (datetime.now(UTC).date() + timedelta(days=3)).isoformat()
        invoice = await new_invoice(h, invoice_date=ahead)
        await h.sync()
        await void(h, invoice)
        outcomes = await h.sync()
        assert outcomes.get("dead", 0) == 0, outcomes  # TIMS posts no reversal before its original
        reversal = await entry(h, f"invoice-{invoice['InvoiceID']}-reversal")
        assert reversal is not None and reversal["PostingDate"] == ahead


async def test_a_voided_payment_reverses_its_entry_and_reopens_the_receivable(tmp_path: Path, systems: Systems) -> None:
    async with polled(tmp_path / "p", systems, syncs=SYNCS) as h:
        await h.sync()
        invoice = await new_invoice(h)
        paid = await h.tims.post("payments", json={"InvoiceID": invoice["InvoiceID"], "Amount": "30.00"})
        assert paid.status_code == 201, paid.text
        await h.sync()
        payment_id = paid.json()["PaymentID"]
        assert (await h.tims.delete(f"payments/{payment_id}")).status_code == 204
        outcomes = await h.sync()
        assert outcomes.get("dead", 0) == 0, outcomes
        original = await entry(h, f"payment-{payment_id}")
        reversal = await entry(h, f"payment-{payment_id}-reversal")
        assert original is not None and reversal is not None and original["Status"] == "Active"
        assert_reverses(reversal, original)
        every = [line for e in await entries(h) for line in lines(e)]
        receivable = sum(d - c for account, d, c in every if account == "1200")
        assert receivable == Decimal((await h.tims.get(f"invoices/{invoice['InvoiceID']}")).json()["Balance"])
        assert receivable == Decimal("95.50")  # the payment is undone in the ledger as in the invoice


async def test_a_reversal_into_a_closed_period_waits_with_the_reason_then_posts_when_reopened(
    tmp_path: Path, systems: Systems
) -> None:
    root = tmp_path / "p"
    async with polled(root, systems, syncs=SYNCS) as h:
        await h.sync()
        invoice = await new_invoice(h)
        await h.sync()
        voided = await void(h, invoice)
        void_month = voided["ModifiedAt"][:7]
        year, month = int(void_month[:4]), int(void_month[5:])
        after = f"{year + month // 12}-{month % 12 + 1:02d}"  # the month after the void: the void's is closed
        closed = await h.control["tims"].post("/_sandbox/periods", json={"closedBefore": after})
        assert closed.status_code == 200

        outcomes = await h.sync()
        assert outcomes.get("dead") == 1, outcomes
        [letter] = await h.assembly.store.dead_letters(sync="invoice-reversals")
        assert f"Period {void_month} is closed" in letter.error and letter.attempts == 1, letter.error
        assert await entry(h, f"invoice-{invoice['InvoiceID']}-reversal") is None
        assert await h.sync() == {}  # it waits there

        reopened = await h.control["tims"].post("/_sandbox/periods", json={"closedBefore": void_month})
        assert reopened.status_code == 200
        await replay(h, root, "invoice-reversals")
        original = await entry(h, f"invoice-{invoice['InvoiceID']}")
        reversal = await entry(h, f"invoice-{invoice['InvoiceID']}-reversal")
        assert original is not None and reversal is not None
        assert_reverses(reversal, original)
        assert await h.assembly.store.dead_letters(sync="invoice-reversals") == []


def signed(secret: str, event_id: str, record: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(
        {
            "id": event_id,
            "event": "invoice.deleted",
            "occurredAt": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "resource": {"collection": "invoices", "id": record["InvoiceID"], "version": record["Version"]},
            "data": record,
        }
    ).encode()
    stamp = str(int(time.time()))
    signature = "sha256=" + hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    headers = {
        "X-TIMS-Event-Id": event_id,
        "X-TIMS-Timestamp": stamp,
        "X-TIMS-Signature": signature,
        "Content-Type": "application/json",
    }
    return body, headers


async def test_a_void_delivered_many_times_reverses_once(tmp_path: Path, systems: Systems) -> None:
    async with live(tmp_path / "p", systems, syncs=SYNCS, poll_seconds=None) as h:
        assert h.runner is not None
        invoice = await new_invoice(h)
        await quiet(h)
        assert await entry(h, f"invoice-{invoice['InvoiceID']}") is not None
        voided = await void(h, invoice)
        secret = h.assembly.webhook_secrets["tims"]
        async with httpx.AsyncClient() as client:
            for n in range(8):  # re-sent by hand, each with a fresh event id, as well as TIMS's own delivery
                body, headers = signed(secret, f"evt_resent_{n}", voided)
                answer = await client.post(f"{h.runner.listen.url}/hooks/tims", content=body, headers=headers)
                assert answer.status_code == 200, answer.text
        await quiet(h)
        reversals = [e for e in await entries(h) if e["ReversalOf"] is not None]
        assert len(reversals) == 1
        assert reversals[0]["ExternalID"] == f"invoice-{invoice['InvoiceID']}-reversal"
        assert await h.assembly.store.dead_letters() == []
