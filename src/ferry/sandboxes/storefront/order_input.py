"""Reading `POST orders.json` bodies into an `OrderSpec`, checking everything before anything changes."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from ferry.sandboxes.storefront.checkout import LineSpec, OrderSpec, line_for_variant
from ferry.sandboxes.storefront.customers import validate_customer
from ferry.sandboxes.storefront.errors import ApiError, Validation
from ferry.sandboxes.storefront.formats import address_from_input, parse_money, tags_text, text_or_none
from ferry.sandboxes.storefront.pricing import Discount
from ferry.sandboxes.storefront.store import Store

FINANCIAL_STATUSES = ("pending", "authorized", "partially_paid", "paid", "partially_refunded", "refunded", "voided")
INVENTORY_BEHAVIOURS = ("bypass", "decrement_ignoring_policy", "decrement_obeying_policy")
_MAX_QUANTITY = 100_000
_MAX_PRICE = 1_000_000_000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def read_order(store: Store, data: dict[str, Any]) -> tuple[OrderSpec, dict[str, Any] | None]:
    """The order to place, plus the new customer to create for it (None if it has one or none)."""
    problems = Validation()
    lines = _lines(store, data.get("line_items"), problems)
    spec = OrderSpec(lines=lines, created=store.now())
    new_customer = _customer(store, data, spec, problems)
    email = data.get("email") or (spec.customer.doc.get("email") if spec.customer else None)
    if email and not _EMAIL.match(str(email)):
        problems.add("email", "is invalid")
    spec.email = str(email) if email else (new_customer or {}).get("email")
    spec.phone = text_or_none(data.get("phone"))
    for name in ("billing_address", "shipping_address"):
        raw = data.get(name)
        if raw is not None and not isinstance(raw, dict):
            problems.add(name, "is invalid")
        elif raw:
            setattr(spec, name, address_from_input(raw))
    spec.shipping = _shipping(data.get("shipping_lines"), problems)
    spec.discount = _discount(data.get("discount_codes"), problems)
    status = data.get("financial_status") or _status_from_transactions(data.get("transactions"))
    if not isinstance(status, str) or status not in FINANCIAL_STATUSES:
        problems.add("financial_status", "is not included in the list")
    spec.financial_status = str(status)
    behaviour = data.get("inventory_behaviour") or "bypass"
    if not isinstance(behaviour, str) or behaviour not in INVENTORY_BEHAVIOURS:
        problems.add("inventory_behaviour", "is not included in the list")
    spec.inventory_behaviour = str(behaviour)
    spec.note = text_or_none(data.get("note"))
    tags = tags_text(data.get("tags"))
    if tags is None:
        problems.add("tags", "is invalid")
    spec.tags = tags or ""
    spec.source_name = text_or_none(data.get("source_name")) or "web"
    problems.raise_if_any()
    return spec, new_customer


def _lines(store: Store, raw: Any, problems: Validation) -> list[LineSpec]:
    if not isinstance(raw, list) or not raw:
        problems.add("line_items", "must have at least one line item")
        return []
    lines: list[LineSpec] = []
    for n, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            problems.add("line_items", f"line item {n} is invalid")
            continue
        quantity = item.get("quantity", 1)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= _MAX_QUANTITY:
            problems.add("line_items", f"quantity of line item {n} must be greater than 0")
            continue
        price = parse_money(item["price"]) if item.get("price") is not None else None
        if item.get("price") is not None and (price is None or not 0 <= price <= _MAX_PRICE):
            problems.add("line_items", f"price of line item {n} is not a number")
            continue
        variant_id = item.get("variant_id")
        if variant_id is not None:
            line = line_for_variant(store, variant_id, quantity, price) if isinstance(variant_id, int) else None
            if line is None:
                problems.add("line_items", f"variant {variant_id} of line item {n} does not exist")
                continue
            lines.append(line)
        elif item.get("title") and price is not None:
            grams = item.get("grams")
            lines.append(
                LineSpec(
                    title=str(item["title"]),
                    price=price,
                    quantity=quantity,
                    sku=str(item["sku"]) if item.get("sku") else None,
                    taxable=bool(item.get("taxable", True)),
                    requires_shipping=bool(item.get("requires_shipping", True)),
                    grams=grams if isinstance(grams, int) and 0 <= grams <= _MAX_PRICE else 0,
                )
            )
        else:
            problems.add("line_items", f"line item {n} needs a variant_id, or a title and a price")
    return lines


def _customer(store: Store, data: dict[str, Any], spec: OrderSpec, problems: Validation) -> dict[str, Any] | None:
    """Attach the named customer, or the one with that email, or describe the one to create."""
    raw = data.get("customer")
    if raw is None:
        owner = store.emails.get(str(data.get("email") or "").lower())
        spec.customer = store.customers.get(owner) if owner is not None else None
        return None
    if not isinstance(raw, dict):
        problems.add("customer", "is invalid")
        return None
    if "id" in raw:
        spec.customer = store.customers.get(raw["id"]) if isinstance(raw["id"], int) else None
        if spec.customer is None:
            problems.add("customer", "does not exist")
        return None
    owner = store.emails.get(str(raw.get("email") or "").lower())
    if owner is not None:
        spec.customer = store.customers.get(owner)
        return None
    try:
        return validate_customer(store, raw)
    except ApiError as exc:  # the customer's own 422, folded into the order's
        errors = exc.errors if isinstance(exc.errors, dict) else {}
        for field, messages in errors.items():
            for message in messages:
                problems.add(f"customer.{field}" if field != "customer" else "customer", message)
        return None


def _shipping(raw: Any, problems: Validation) -> tuple[str, Decimal] | None:
    if not raw:
        return None
    first = raw[0] if isinstance(raw, list) and raw and isinstance(raw[0], dict) else None
    price = parse_money(first.get("price", "0")) if first is not None else None
    if first is None or price is None or not 0 <= price <= _MAX_PRICE:
        problems.add("shipping_lines", "is invalid")
        return None
    return str(first.get("title") or first.get("code") or "Shipping"), price


def _discount(raw: Any, problems: Validation) -> Discount | None:
    if not raw:
        return None
    first = raw[0] if isinstance(raw, list) and raw and isinstance(raw[0], dict) else None
    amount = parse_money(first.get("amount")) if first is not None else None
    kind = first.get("type", "fixed_amount") if first is not None else None
    if first is None or amount is None or not 0 <= amount <= _MAX_PRICE or kind not in ("fixed_amount", "percentage"):
        problems.add("discount_codes", "is invalid")
        return None
    return Discount(str(first.get("code") or "DISCOUNT"), str(kind), amount)


def _status_from_transactions(raw: Any) -> str:
    kinds = [t.get("kind") for t in raw if isinstance(t, dict)] if isinstance(raw, list) else []
    if "authorization" in kinds and not {"sale", "capture"} & set(kinds):
        return "authorized"
    return "paid"
