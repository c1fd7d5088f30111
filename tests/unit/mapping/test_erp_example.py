"""The worked ERP example of docs/mapping.md: currency, discount by segment, routing by amount, lines."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from ferry.core.errors import ValidationError
from ferry.mapping import load

EXAMPLE = Path(__file__).parents[3] / "docs" / "examples" / "sales-order.yaml"
D = Decimal
ORDER = {
    "number": "SO-1001",
    "currency": "EUR",
    "order_date": "2026-11-20",
    "freight": D("15.00"),
    "customer": {"segment": "TRADE"},
    "lines": [
        {"sku": "A-100", "quantity": 150, "unit_price": D("12.50")},
        {"sku": "B-200", "quantity": 1, "unit_price": D("80.00")},
        {"sku": "A-100", "quantity": 30, "unit_price": D("12.50")},
        {"sku": "GIFT", "quantity": 1, "unit_price": D("0")},
    ],
}


def test_the_example_maps_an_order() -> None:
    payload = load(EXAMPLE).apply(ORDER)
    # 180 * 12.50 + 80 = 2330.00 EUR; 5% off: 2213.50 EUR; at 1.0842: 2399.8767 -> 2399.88 USD
    assert payload["Net"] == D("2399.88")
    assert payload["Tax"] == D("505.24")  # 2330.00 * 1.0842 = 2526.19, 20% of it 505.238
    assert (payload["ExchangeRate"], str(payload["ExchangeRateDate"])) == (D("1.0842"), "2026-11-01")
    assert payload["Queue"] == "auto" and payload["NeedsReview"] is True
    lines = payload["Lines"]
    assert [(line["Item"], line["Quantity"], line["UnitPrice"]) for line in lines] == [
        ("A-100", 100, D("13.55")),
        ("A-100", 80, D("13.55")),
        ("B-200", 1, D("86.74")),
    ]
    # 15.00 EUR = 16.26 USD over 100 / 80 / 1: the parts add up to it exactly.
    assert [line["Freight"] for line in lines] == [D("8.98"), D("7.19"), D("0.09")]
    assert sum(line["Freight"] for line in lines) == D("16.26")


def test_big_orders_go_to_approval_and_unknown_segments_fail() -> None:
    mapping = load(EXAMPLE)
    big = {**ORDER, "lines": [{"sku": "X", "quantity": 1000, "unit_price": D("10.00")}]}
    assert mapping.apply(big)["Queue"] == "approval"
    with pytest.raises(ValidationError, match="lookup table 'segment_discount' has no entry for 'VIP'"):
        mapping.apply({**ORDER, "customer": {"segment": "VIP"}})
    with pytest.raises(ValidationError, match="no exchange rate from EUR to USD on or before 2026-09-01"):
        mapping.apply({**ORDER, "order_date": "2026-09-01"})
