"""`docs/examples/sales-order.yaml` by hand: a web-shop order in EUR or GBP as an ERP sales order in USD."""

from __future__ import annotations

import bisect
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

RATES = {
    "EUR": ([dt.date(2026, 10, 1), dt.date(2026, 11, 1)], [Decimal("1.0800"), Decimal("1.0842")]),
    "GBP": ([dt.date(2026, 11, 1)], [Decimal("1.2650")]),
}
SEGMENT_DISCOUNT: dict[str, Decimal | int] = {"RETAIL": 0, "TRADE": Decimal("0.05"), "KEY": Decimal("0.12")}
CENTS = Decimal("0.01")
MAX_QUANTITY = 100


def usd(amount: Decimal | int, rate: Decimal) -> Decimal:
    return (amount * rate).quantize(CENTS, rounding=ROUND_HALF_UP)


def allocate(total: Decimal, weights: list[int]) -> list[Decimal]:
    """Largest remainders, to the cent: the parts add up to `total` exactly (the earlier line on a tie)."""
    cents, whole = int(total.scaleb(2)), sum(weights)
    floors, remainders = zip(*(divmod(cents * w, whole) for w in weights), strict=True)
    parts = list(floors)
    for i in sorted(range(len(parts)), key=lambda i: (-remainders[i], i))[: cents - sum(parts)]:
        parts[i] += 1
    return [Decimal(part).scaleb(-2) for part in parts]


def erp_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Free lines left out, one line per SKU with the quantities added up, then split at 100 a line."""
    grouped: dict[str, dict[str, Any]] = {}
    for line in lines:
        if line["unit_price"] > 0:
            first = grouped.get(line["sku"])
            grouped[line["sku"]] = (
                dict(line) if first is None else {**first, "quantity": first["quantity"] + line["quantity"]}
            )
    out = []
    for line in grouped.values():
        full, rest = divmod(line["quantity"], MAX_QUANTITY)
        if not full or (full == 1 and not rest):
            out.append(line)
            continue
        out.extend({**line, "quantity": part} for part in [MAX_QUANTITY] * full + ([rest] if rest else []))
    return out


def sales_order(order: dict[str, Any]) -> dict[str, Any]:
    on = dt.date.fromisoformat(order["order_date"])
    dates, rates = RATES[order["currency"]]
    at = bisect.bisect_right(dates, on) - 1
    rate, rate_date = rates[at], dates[at]
    discount = SEGMENT_DISCOUNT[order["customer"]["segment"]]
    lines = order["lines"]
    gross = sum((line["quantity"] * line["unit_price"] for line in lines), Decimal(0))
    gross_usd = usd(gross, rate)
    queue = "approval" if gross_usd >= 10000 else "bulk" if len(lines) > 20 else "auto"
    split = erp_lines(lines)
    freight = allocate(usd(order["freight"], rate), [line["quantity"] for line in split])
    return {
        "OrderNo": order["number"],
        "Currency": "USD",
        "DiscountRate": discount,
        "Net": usd(gross * (1 - discount), rate),
        "Tax": (gross_usd * Decimal("0.20")).quantize(CENTS, rounding=ROUND_HALF_UP),
        "ExchangeRate": rate,
        "ExchangeRateDate": rate_date,
        "Queue": queue,
        "NeedsReview": any(line["unit_price"] == 0 for line in lines),
        "Lines": [
            {
                "LineNo": n,
                "Item": line["sku"],
                "Quantity": line["quantity"],
                "UnitPrice": usd(line["unit_price"], rate),
                "Freight": freight[n - 1],
            }
            for n, line in enumerate(split, start=1)
        ],
    }
