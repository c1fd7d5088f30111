"""Placing an order: the one path for checkouts (`/_sandbox/generate`), `POST orders.json` and seeding.

`place_order` takes an already-validated `OrderSpec`, prices it (`pricing`), writes the order,
claims stock when asked to, opens its fulfillment order and updates the customer's statistics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from ferry.sandboxes.storefront import inventory
from ferry.sandboxes.storefront.customers import customer_summary, record_order
from ferry.sandboxes.storefront.formats import ZERO, gid, money, money_set, timestamp
from ferry.sandboxes.storefront.fulfillments import open_fulfillment_order
from ferry.sandboxes.storefront.pricing import Discount, LineMoney, Totals, price_order, tax_for
from ferry.sandboxes.storefront.shop import CURRENCY
from ferry.sandboxes.storefront.store import Commitment, Level, Record, Store

_NESTED = ("billing_address", "customer", "discount_applications", "fulfillments", "line_items", "refunds",
           "shipping_address", "shipping_lines")  # fmt: skip


@dataclass(slots=True)
class LineSpec:
    """One order line: a variant (or a custom item) at a unit price."""

    title: str
    price: Decimal
    quantity: int
    variant_id: int | None = None
    product_id: int | None = None
    variant_title: str | None = None
    sku: str | None = None
    vendor: str | None = None
    grams: int = 0
    taxable: bool = True
    requires_shipping: bool = True
    inventory_item_id: int | None = None


@dataclass(slots=True)
class OrderSpec:
    lines: list[LineSpec]
    created: datetime
    customer: Record | None = None
    email: str | None = None
    phone: str | None = None
    billing_address: dict[str, Any] | None = None
    shipping_address: dict[str, Any] | None = None
    shipping: tuple[str, Decimal] | None = None
    discount: Discount | None = None
    financial_status: str = "paid"
    note: str | None = None
    tags: str = ""
    source_name: str = "web"
    gateway: str = "shopify_payments"
    #: "bypass" (the REST default), "decrement_ignoring_policy" or "decrement_obeying_policy"
    inventory_behaviour: str = "bypass"
    extra: dict[str, Any] = field(default_factory=dict)


def line_for_variant(store: Store, variant_id: int, quantity: int, price: Decimal | None = None) -> LineSpec | None:
    found = store.variant(variant_id)
    if found is None:
        return None
    product, variant = found
    return LineSpec(
        title=product.doc["title"],
        price=Decimal(variant["price"]) if price is None else price,
        quantity=quantity,
        variant_id=variant["id"],
        product_id=product.id,
        variant_title=None if variant["title"] == "Default Title" else variant["title"],
        sku=variant["sku"],
        vendor=product.doc["vendor"],
        grams=variant["grams"],
        taxable=variant["taxable"],
        requires_shipping=variant["requires_shipping"],
        inventory_item_id=variant["inventory_item_id"],
    )


def shipping_location(store: Store, lines: list[LineSpec]) -> Record:
    """The first location that can ship every line in full, else the best-stocked one."""
    locations = list(store.locations)

    def shortfall(location: Record) -> int:
        short = 0
        for ln in lines:
            level = store.level(ln.inventory_item_id, location.id) if ln.inventory_item_id else None
            short += max(0, ln.quantity - (level.available if level else 0)) if ln.inventory_item_id else 0
        return short

    return min(locations, key=lambda loc: (shortfall(loc), locations.index(loc)))


def stock_problem(store: Store, spec: OrderSpec, location: Record) -> str | None:
    """Why `decrement_obeying_policy` cannot claim the stock, if it cannot."""
    for ln in spec.lines:
        if ln.inventory_item_id is None:
            continue
        level = store.level(ln.inventory_item_id, location.id)
        if level is None or level.available < ln.quantity:
            return f"{ln.title} is out of stock"
    return None


def place_order(store: Store, spec: OrderSpec) -> tuple[Record, list[Level]]:
    """Write the order; return it with the inventory levels whose availability changed."""
    money_lines = [LineMoney(ln.price, ln.quantity, ln.taxable) for ln in spec.lines]
    ship_to = spec.shipping_address or spec.billing_address or {}
    tax = tax_for(ship_to.get("country_code"), ship_to.get("province_code"))
    shipping_price = spec.shipping[1] if spec.shipping else ZERO
    totals = price_order(money_lines, shipping_price, tax, spec.discount)
    ident = store.new_id("order")
    number = store.next_order_number
    store.next_order_number += 1
    doc = _order_doc(store, spec, totals, ident, number)
    record = store.orders.add(Record(ident, spec.created, spec.created, doc))
    location = shipping_location(store, spec.lines)
    open_fulfillment_order(store, record, location, spec.created)
    moved: list[Level] = []
    if spec.inventory_behaviour != "bypass":
        for ln, li in zip(spec.lines, doc["line_items"], strict=True):
            if ln.inventory_item_id is not None:
                moved.append(inventory.claim(store, ln.inventory_item_id, location.id, ln.quantity))
                store.commitments[li["id"]] = Commitment(ln.inventory_item_id, location.id, ln.quantity)
    if spec.customer is not None:
        record_order(spec.customer, doc, totals.total)
        doc["customer"] = customer_summary(spec.customer.doc)
    return record, moved


def _order_doc(store: Store, spec: OrderSpec, totals: Totals, ident: int, number: int) -> dict[str, Any]:
    at = timestamp(spec.created)
    paid = spec.financial_status in ("paid", "partially_refunded", "refunded")
    discount_codes = []
    applications = []
    if spec.discount is not None and totals.discount_amount:
        d = spec.discount
        discount_codes = [{"code": d.code, "amount": money(totals.discount_amount), "type": d.kind}]
        applications = [
            {"target_type": "line_item", "type": "discount_code", "value": str(d.value), "value_type": d.kind,
             "allocation_method": "across", "target_selection": "all", "code": d.code}
        ]  # fmt: skip
    shipping_lines: list[dict[str, Any]] = []
    if spec.shipping is not None:
        title, price = spec.shipping
        shipping_lines = [{
            "id": store.new_id("line_item"), "carrier_identifier": None, "code": title,
            "discounted_price": money(price), "discounted_price_set": money_set(price), "is_removed": False,
            "phone": None, "price": money(price), "price_set": money_set(price),
            "requested_fulfillment_service_id": None, "source": "shopify", "title": title, "tax_lines": [],
            "discount_allocations": [],
        }]  # fmt: skip
    tax_lines = [
        {"price": money(amount), "rate": totals.tax.rate if totals.tax else 0, "title": title,
         "price_set": money_set(amount), "channel_liable": False}
        for title, amount in totals.tax_by_title.items()
    ]  # fmt: skip
    money_fields: dict[str, Decimal] = {
        "current_subtotal_price": totals.subtotal,
        "current_total_discounts": totals.discount_amount,
        "current_total_price": totals.total,
        "current_total_tax": totals.total_tax,
        "subtotal_price": totals.subtotal,
        "total_discounts": totals.discount_amount,
        "total_line_items_price": totals.line_items,
        "total_price": totals.total,
        "total_tax": totals.total_tax,
        "total_shipping_price": totals.shipping,
    }
    doc: dict[str, Any] = {
        "id": ident,
        "admin_graphql_api_id": gid("Order", ident),
        "app_id": 580111,
        "browser_ip": None,
        "buyer_accepts_marketing": False,
        "cancel_reason": None,
        "cancelled_at": None,
        "cart_token": None,
        "checkout_id": None,
        "checkout_token": store.token() if spec.source_name == "web" else None,
        "closed_at": None,
        "confirmation_number": None,
        "confirmed": True,
        "contact_email": spec.email,
        "created_at": at,
        "currency": CURRENCY,
        "customer_locale": "en",
        "discount_codes": discount_codes,
        "discount_applications": applications,
        "email": spec.email or "",
        "estimated_taxes": False,
        "financial_status": spec.financial_status,
        "fulfillment_status": None,
        "landing_site": "/" if spec.source_name == "web" else None,
        "name": f"#{number}",
        "note": spec.note,
        "note_attributes": [],
        "number": number - 1000,
        "order_number": number,
        "order_status_url": f"https://{store.shop['domain']}/{store.shop['id']}/orders/{store.token()}/authenticate",
        "payment_gateway_names": [spec.gateway] if spec.gateway else [],
        "phone": spec.phone,
        "presentment_currency": CURRENCY,
        "processed_at": at,
        "reference": None,
        "referring_site": None,
        "source_name": spec.source_name,
        "tags": spec.tags,
        "tax_lines": tax_lines,
        "taxes_included": False,
        "test": False,
        "token": store.token(),
        "total_outstanding": "0.00" if paid else money(totals.total),
        "total_tip_received": "0.00",
        "total_weight": sum(ln.grams * ln.quantity for ln in spec.lines),
        "updated_at": at,
        "billing_address": spec.billing_address,
        "customer": None,
        "fulfillments": [],
        "line_items": [_line_doc(store, ln, m, totals) for ln, m in zip(spec.lines, totals.lines, strict=True)],
        "refunds": [],
        "shipping_address": spec.shipping_address,
        "shipping_lines": shipping_lines,
        **spec.extra,
    }
    for name, amount in money_fields.items():
        if name != "total_shipping_price":
            doc[name] = money(amount)
        doc[f"{name}_set"] = money_set(amount)
    # Shopify lists an order's plain fields alphabetically and its nested resources after them.
    return {k: doc[k] for k in sorted(doc) if k not in _NESTED} | {k: doc[k] for k in _NESTED}


def _line_doc(store: Store, ln: LineSpec, m: LineMoney, totals: Totals) -> dict[str, Any]:
    ident = store.new_id("line_item")
    tax_lines = []
    if totals.tax is not None and m.tax:
        tax_lines = [{"channel_liable": False, "price": money(m.tax), "price_set": money_set(m.tax),
                      "rate": totals.tax.rate, "title": totals.tax.title}]  # fmt: skip
    allocations = []
    if m.discount:
        allocations = [
            {"amount": money(m.discount), "amount_set": money_set(m.discount), "discount_application_index": 0}
        ]
    name = f"{ln.title} - {ln.variant_title}" if ln.variant_title else ln.title
    return {
        "id": ident,
        "admin_graphql_api_id": gid("LineItem", ident),
        "attributed_staffs": [],
        "current_quantity": ln.quantity,
        "fulfillable_quantity": ln.quantity,
        "fulfillment_service": "manual",
        "fulfillment_status": None,
        "gift_card": False,
        "grams": ln.grams,
        "name": name,
        "price": money(ln.price),
        "price_set": money_set(ln.price),
        "product_exists": ln.product_id is not None,
        "product_id": ln.product_id,
        "properties": [],
        "quantity": ln.quantity,
        "requires_shipping": ln.requires_shipping,
        "sku": ln.sku,
        "taxable": ln.taxable,
        "title": ln.title,
        "total_discount": "0.00",
        "total_discount_set": money_set(ZERO),
        "variant_id": ln.variant_id,
        "variant_inventory_management": "shopify" if ln.variant_id else None,
        "variant_title": ln.variant_title,
        "vendor": ln.vendor,
        "tax_lines": tax_lines,
        "duties": [],
        "discount_allocations": allocations,
    }
