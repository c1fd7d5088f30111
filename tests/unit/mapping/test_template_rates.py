"""The dynamics365-tims template's TIMS invoices and orders record the rate table's rate of their own date."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from ferry.core.errors import ValidationError
from ferry.mapping import load
from ferry.mapping.library.twin import TWINS
from tests.unit.mapping.test_templates_wire import MAPPINGS


def twins(sync: str, record_id: Any, field: str | None = None) -> str | None:
    return "a-1" if (sync, record_id) == ("customers", "7") else None


CONTEXT = {TWINS: twins}


def invoice(**values: Any) -> dict[str, Any]:
    return {
        "InvoiceID": 41,
        "Type": "AR",
        "CustomerID": 7,
        "InvoiceDate": "2026-11-20",
        "Currency": "GBP",
        "Total": "999.99",
        **values,
    }


def mapped(name: str, record: dict[str, Any]) -> dict[str, Any]:
    mapping = load(MAPPINGS / name)
    return dict(mapping.apply(record, context=CONTEXT, creating=True))


@pytest.mark.parametrize("name", ["tims-to-invoice.yaml", "tims-to-sales-order.yaml"])
def test_a_gbp_document_records_the_rate_of_its_date_from_the_rate_table(name: str) -> None:
    record = invoice(OrderDate="2026-11-20")
    payload = mapped(name, record)
    assert payload["new_fxrate"] == Decimal("0.7905")  # USD,GBP,0.7905 from 2026-11-16
    assert payload["new_fxratedate"] == dt.date(2026, 11, 16)
    assert payload["new_fxbasetotal"] == Decimal("1265.01")  # 999.99 / 0.7905 = 1265.0094...


def test_a_base_currency_invoice_has_rate_one_on_its_own_date() -> None:
    payload = mapped("tims-to-invoice.yaml", invoice(Currency="USD", Total="120.50"))
    assert (payload["new_fxrate"], payload["new_fxratedate"]) == (Decimal(1), dt.date(2026, 11, 20))
    assert payload["new_fxbasetotal"] == Decimal("120.50")


def test_an_update_leaves_the_recorded_rate_alone() -> None:
    mapping = load(MAPPINGS / "tims-to-invoice.yaml")
    payload = mapping.apply(invoice(PaymentStatus="Paid"), context=CONTEXT)
    assert not {"new_fxrate", "new_fxratedate", "new_fxbasetotal"} & set(payload)


def test_no_rate_for_the_day_fails_the_invoice_saying_what_to_add() -> None:
    with pytest.raises(ValidationError) as caught:
        mapped("tims-to-invoice.yaml", invoice(InvoiceDate="2024-12-15"))
    assert caught.value.field_errors["new_fxrate"] == (
        "no exchange rate from USD to GBP on or before 2024-12-15 in rates/fx.csv "
        "(its first rate is dated 2025-01-01): add one, then replay"
    )
