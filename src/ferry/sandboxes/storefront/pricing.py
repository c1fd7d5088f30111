"""Order arithmetic, all in `Decimal`: line totals, discount allocation, tax, shipping, totals.

Tax is charged per line on the discounted line amount, rounded half up to the cent, and the order's
tax is the sum of the lines (as Shopify reports it); shipping is not taxed in this shop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ferry.sandboxes.storefront.formats import ZERO, to_cents

# Combined state rates a small US web shop would charge (nexus everywhere, for simplicity).
_STATE_RATES: dict[str, str] = {
    "AK": "0",
    "CA": "0.0725",
    "DE": "0",
    "FL": "0.06",
    "GA": "0.04",
    "IL": "0.0625",
    "MA": "0.0625",
    "MI": "0.06",
    "MT": "0",
    "NC": "0.0475",
    "NH": "0",
    "NJ": "0.06625",
    "NY": "0.04",
    "OH": "0.0575",
    "OR": "0",
    "PA": "0.06",
    "TX": "0.0625",
    "VA": "0.053",
    "WA": "0.065",
}
_DEFAULT_US_RATE = "0.05"


@dataclass(frozen=True, slots=True)
class Tax:
    title: str
    rate: Decimal


def tax_for(country_code: str | None, province_code: str | None) -> Tax | None:
    """The sales tax on goods shipped to that address; exports carry none."""
    if country_code != "US":
        return None
    state = (province_code or "").upper()
    rate = Decimal(_STATE_RATES.get(state, _DEFAULT_US_RATE))
    if not rate:
        return None
    return Tax(f"{state} State Tax" if state else "State Tax", rate)


@dataclass(frozen=True, slots=True)
class Discount:
    code: str
    kind: str  # "percentage" or "fixed_amount"
    value: Decimal


@dataclass(slots=True)
class LineMoney:
    price: Decimal
    quantity: int
    taxable: bool
    discount: Decimal = ZERO
    tax: Decimal = ZERO

    @property
    def gross(self) -> Decimal:
        return self.price * self.quantity


@dataclass(slots=True)
class Totals:
    lines: list[LineMoney]
    shipping: Decimal
    tax: Tax | None
    discount_amount: Decimal = ZERO
    line_items: Decimal = ZERO
    total_tax: Decimal = ZERO
    subtotal: Decimal = ZERO
    total: Decimal = ZERO
    tax_by_title: dict[str, Decimal] = field(default_factory=dict)


def price_order(lines: list[LineMoney], shipping: Decimal, tax: Tax | None, discount: Discount | None) -> Totals:
    """Fill in each line's discount and tax and the order totals."""
    totals = Totals(lines, to_cents(shipping), tax)
    totals.line_items = sum((ln.gross for ln in lines), ZERO)
    if discount is not None and totals.line_items > 0:
        _allocate(lines, discount, totals.line_items)
    for ln in lines:
        if tax is not None and ln.taxable:
            ln.tax = to_cents((ln.gross - ln.discount) * tax.rate)
    totals.discount_amount = sum((ln.discount for ln in lines), ZERO)
    totals.total_tax = sum((ln.tax for ln in lines), ZERO)
    if tax is not None and totals.total_tax:
        totals.tax_by_title[tax.title] = totals.total_tax
    totals.subtotal = totals.line_items - totals.discount_amount
    totals.total = totals.subtotal + totals.shipping + totals.total_tax
    return totals


def _allocate(lines: list[LineMoney], discount: Discount, base: Decimal) -> None:
    """Spread an order discount over the lines in proportion to their amounts, to the cent."""
    if discount.kind == "percentage":
        amount = to_cents(base * min(discount.value, Decimal(100)) / 100)
    else:
        amount = min(to_cents(discount.value), base)
    remaining = amount
    for i, ln in enumerate(lines):
        share = remaining if i == len(lines) - 1 else to_cents(amount * ln.gross / base)
        share = min(share, ln.gross, remaining)
        ln.discount = share
        remaining -= share
