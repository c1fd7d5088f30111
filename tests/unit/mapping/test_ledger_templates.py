"""The template's invoice posting: tax on its own line, and every entry balanced to the cent."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ferry.mapping import load

MAPPINGS = Path(__file__).parents[3] / "src" / "ferry" / "project" / "templates" / "dynamics365-tims" / "mappings"


def invoice(kind: str, total: str, tax: str) -> dict[str, Any]:
    party = {"CustomerID": 10001} if kind == "AR" else {"VendorID": 30001}
    return {"InvoiceID": 80001, "Type": kind, "InvoiceDate": "2026-11-20", "Total": total, "Tax": tax, **party}


def posted(record: dict[str, Any]) -> list[tuple[str, str, str]]:
    payload = load(MAPPINGS / "invoice-to-gl-entry.yaml").apply(record, creating=True)
    return [(line["Account"], line["Debit"], line["Credit"]) for line in payload["Lines"]]


def test_an_ar_invoice_debits_the_gross_and_credits_revenue_net_and_tax_payable() -> None:
    assert posted(invoice("AR", "103.38", "7.88")) == [
        ("1200", "103.38", "0.00"),
        ("4000", "0.00", "95.50"),
        ("2200", "0.00", "7.88"),
    ]


def test_an_ap_invoice_debits_purchases_net_and_input_tax_and_credits_payables_gross() -> None:
    assert posted(invoice("AP", "103.38", "7.88")) == [
        ("5000", "95.50", "0.00"),
        ("1400", "7.88", "0.00"),
        ("2000", "0.00", "103.38"),
    ]


def test_an_invoice_without_tax_posts_no_tax_line() -> None:
    assert posted(invoice("AR", "95.50", "0.00")) == [("1200", "95.50", "0.00"), ("4000", "0.00", "95.50")]


@pytest.mark.parametrize(
    ("total", "tax"), [("0.30", "0.10"), ("1000000.01", "0.01"), ("19.99", "1.65"), ("0.01", "0.01")]
)
def test_every_entry_balances_exactly(total: str, tax: str) -> None:
    for kind in ("AR", "AP"):
        lines = posted(invoice(kind, total, tax))
        assert sum(Decimal(d) for _, d, _ in lines) == sum(Decimal(c) for _, _, c in lines) == Decimal(total)
        assert all(Decimal(d) > 0 or Decimal(c) > 0 for _, d, c in lines)  # TIMS refuses empty lines
