"""The seeded shop: locations, products with stock, customers from the shared world, ~90 days of orders.

Everything is drawn from generators seeded with the sandbox seed, in a fixed order, so the same
seed gives the same shop. Historical orders go through the same checkout, fulfillment and
cancellation code as live ones, so their documents and stock levels are consistent.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ferry.sandboxes.kit import Company, Person, World
from ferry.sandboxes.storefront.catalog import web_catalogue
from ferry.sandboxes.storefront.checkout import OrderSpec, line_for_variant, place_order
from ferry.sandboxes.storefront.customers import new_customer, normalise_phone
from ferry.sandboxes.storefront.formats import address, gid, timestamp
from ferry.sandboxes.storefront.fulfillments import create_fulfillment
from ferry.sandboxes.storefront.inventory import location_doc
from ferry.sandboxes.storefront.orders import cancel
from ferry.sandboxes.storefront.pricing import Discount
from ferry.sandboxes.storefront.products import new_product
from ferry.sandboxes.storefront.shop import CURRENCY, IANA_TIMEZONE, SHOP_DOMAIN, SHOP_EMAIL, SHOP_NAME
from ferry.sandboxes.storefront.store import Record, Store, touch

DEFAULT_SIZES = {"customers": 250, "orders": 150}
_LOCATIONS = (
    ("Columbus Warehouse", "4150 Fisher Rd", "Columbus", "OH", "43228", "+16145550143"),
    ("Newark Store", "88 Frelinghuysen Ave", "Newark", "NJ", "07114", "+19735550188"),
)


def seed_store(store: Store, world: World, sizes: dict[str, int] | None) -> None:
    counts = {**DEFAULT_SIZES, **(sizes or {})}
    r = random.Random(f"{store.seed}:seed")
    now = store.now()
    store.shop = shop_doc(store, now - timedelta(days=900))
    for name, street, city, state, zip_code, phone in _LOCATIONS:
        ident = store.new_id("location")
        where = address(
            first_name=None, last_name=None, company=None, address1=street, address2=None, city=city,
            province_code=state, zip_code=zip_code, country="United States", country_code="US", phone=phone,
        )  # fmt: skip
        created = now - timedelta(days=880)
        store.locations.add(Record(ident, created, created, location_doc(ident, created, name=name, address=where)))
    store.shop["primary_location_id"] = next(iter(store.locations.rows))
    _seed_products(store, world, r, now)
    customers = _seed_customers(store, world, r, now, counts["customers"])
    _seed_orders(store, r, now, customers, counts["orders"])
    for level in store.levels.values():
        if level.available < 0:
            # Oversold while seeding: stock arrived since, as it would in a shop that denies overselling.
            level.on_hand += r.randrange(0, 12) - level.available
            store.refresh_variant_quantity(level.inventory_item_id)


def shop_doc(store: Store, created: datetime) -> dict[str, Any]:
    ident = store.new_id("shop")
    return {
        "id": ident, "name": SHOP_NAME, "email": SHOP_EMAIL, "domain": SHOP_DOMAIN, "province": "Ohio",
        "country": "US", "address1": "4150 Fisher Rd", "zip": "43228", "city": "Columbus", "source": None,
        "phone": "+16145550143", "latitude": 39.97, "longitude": -83.08, "primary_locale": "en", "address2": "",
        "created_at": timestamp(created), "updated_at": timestamp(created), "country_code": "US",
        "country_name": "United States", "currency": CURRENCY, "customer_email": SHOP_EMAIL,
        "timezone": "(GMT-05:00) America/New_York", "iana_timezone": IANA_TIMEZONE, "shop_owner": "Ferry Demo",
        "money_format": "${{amount}}", "money_with_currency_format": "${{amount}} USD", "weight_unit": "kg",
        "province_code": "OH", "taxes_included": False, "auto_configure_tax_inclusivity": None,
        "tax_shipping": False, "county_taxes": True, "plan_display_name": "Basic", "plan_name": "basic",
        "has_discounts": True, "has_gift_cards": False, "myshopify_domain": SHOP_DOMAIN,
        "google_apps_domain": None, "google_apps_login_enabled": None,
        "money_in_emails_format": "${{amount}}", "money_with_currency_in_emails_format": "${{amount}} USD",
        "eligible_for_payments": True, "requires_extra_payments_agreement": False, "password_enabled": False,
        "has_storefront": True, "finances": True, "primary_location_id": None, "checkout_api_supported": True,
        "multi_location_enabled": True, "setup_required": False, "pre_launch_enabled": False,
        "enabled_presentment_currencies": [CURRENCY], "marketing_sms_consent_enabled_at_checkout": False,
        "transactional_sms_disabled": False, "admin_graphql_api_id": gid("Shop", ident),
    }  # fmt: skip


def _spread(r: random.Random, now: datetime, days: float, count: int) -> list[datetime]:
    """`count` sorted moments in the `days` before `now`, in whole seconds."""
    span = int(days * 86400)
    return sorted(now - timedelta(seconds=r.randrange(span)) for _ in range(count))


def _seed_products(store: Store, world: World, r: random.Random, now: datetime) -> None:
    catalogue = web_catalogue(world.products)
    locations = list(store.locations.rows)
    for item, created in zip(catalogue, _spread(r, now, 420, len(catalogue)), strict=True):
        variants = [
            {"title": label, "price": p.unit_price, "sku": p.sku, "weight": p.weight_kg,
             "compare_at_price": (p.unit_price * Decimal("1.15")) if r.random() < 0.1 else None}
            for label, p in item.variants
        ]  # fmt: skip
        data = {"title": item.title, "body_html": item.body_html, "product_type": item.product_type,
                "tags": item.product_type.lower(), "status": "active" if item.active else "draft",
                "variants": variants, "option_name": item.option_name}  # fmt: skip
        product = new_product(store, data, created)
        for variant in product.doc["variants"]:
            main = store.connect(variant["inventory_item_id"], locations[0])
            main.on_hand = 0 if r.random() < 0.06 else r.randrange(8, 160)
            if r.random() < 0.45:
                store.connect(variant["inventory_item_id"], locations[1]).on_hand = r.randrange(0, 30)
            store.refresh_variant_quantity(variant["inventory_item_id"])


def customer_data(person: Person, company: Company | None, r: random.Random, taken: set[str]) -> dict[str, Any]:
    """A web-shop customer for a person from the world, with the gaps and quirks real data has."""
    email = person.email
    if email and email.lower() in taken:
        email = None  # Shopify keeps emails unique; the second account goes without
    if email and r.random() < 0.03:
        email = email.title()  # typed with capitals; still the same mailbox
    phone = normalise_phone(person.phone) if person.phone else None
    first = person.first_name.lower() if r.random() < 0.02 else person.first_name
    addresses = []
    if company is not None and r.random() > 0.04:
        a = company.address
        addresses.append({
            "first_name": first, "last_name": person.last_name, "company": company.name, "address1": a.line1,
            "address2": a.line2, "city": a.city, "province_code": a.state, "zip": a.postal_code,
            "country": a.country, "country_code": a.country_code, "phone": phone,
        })  # fmt: skip
    tags = r.choice(("", "", "", "wholesale", "newsletter", "vip"))
    return {
        "first_name": first,
        "last_name": person.last_name,
        "email": email,
        "phone": phone,
        "state": r.choices(("enabled", "disabled", "invited"), weights=(60, 35, 5))[0],
        "tags": tags,
        "email_marketing_consent": {"state": "subscribed" if r.random() < 0.3 else "not_subscribed"},
        "addresses": addresses,
    }


def _seed_customers(store: Store, world: World, r: random.Random, now: datetime, count: int) -> list[Record]:
    # Companies have 1.6 contacts on average; ask for just enough of them (the world is slow to grow).
    wanted = max(10, count * 2 // 3)
    people: list[tuple[Person, Company | None]] = []
    while len(people) < count and wanted <= count * 2:
        people = [(p, c) for c in world.companies(wanted) for p in c.contacts]
        wanted += max(10, count // 5)
    while len(people) < count:
        people.append((world.person("US"), None))
    taken: set[str] = set()
    records = []
    for (person, company), created in zip(people[:count], _spread(r, now, 720, count), strict=True):
        data = customer_data(person, company, r, taken)
        if data["email"]:
            taken.add(data["email"].lower())
        records.append(new_customer(store, data, created))
    return records


def _seed_orders(store: Store, r: random.Random, now: datetime, customers: list[Record], count: int) -> None:
    variants = [v for p in store.products if p.doc["status"] == "active" for v in p.doc["variants"]]
    for created in _spread(r, now, 90, count):
        known = [c for c in customers if c.created < created] or customers[:1]
        customer = r.choice(known)
        spec = checkout_spec(store, r, customer, variants, created)
        spec.financial_status = r.choices(("paid", "pending", "authorized"), weights=(88, 6, 6))[0]
        order, _ = place_order(store, spec)
        _history(store, r, order, created, now)


def checkout_spec(
    store: Store, r: random.Random, customer: Record | None, variants: list[dict[str, Any]], created: datetime
) -> OrderSpec:
    """A plausible web checkout: 1-4 lines, the customer's address, shipping, sometimes a discount code."""
    picks = r.sample(variants, k=min(len(variants), r.choice((1, 1, 2, 2, 3, 4))))
    lines = [line_for_variant(store, v["id"], r.choice((1, 1, 1, 2, 2, 3, 5))) for v in picks]
    where = dict((customer.doc.get("default_address") or {}) if customer else {})
    ship_to = None
    if where:
        ship_to = address(
            first_name=where.get("first_name"), last_name=where.get("last_name"), company=where.get("company"),
            address1=where.get("address1"), address2=where.get("address2"), city=where.get("city"),
            province_code=where.get("province_code"), zip_code=where.get("zip"), country=where.get("country"),
            country_code=where.get("country_code"), phone=where.get("phone"),
        )  # fmt: skip
    domestic = (where.get("country_code") or "US") == "US"
    subtotal = sum((ln.price * ln.quantity for ln in lines if ln), Decimal(0))
    if not domestic:
        shipping = ("International Shipping", Decimal("39.95"))
    elif r.random() < 0.15:
        shipping = ("Express", Decimal("24.95"))
    else:
        shipping = ("Standard Shipping", Decimal("0.00") if subtotal >= 150 else Decimal("9.95"))
    discount = Discount("WELD10", "percentage", Decimal(10)) if r.random() < 0.12 else None
    return OrderSpec(
        lines=[ln for ln in lines if ln is not None],
        created=created,
        customer=customer,
        email=customer.doc.get("email") if customer else None,
        phone=customer.doc.get("phone") if customer else None,
        billing_address=ship_to,
        shipping_address=ship_to,
        shipping=shipping,
        discount=discount,
        inventory_behaviour="decrement_ignoring_policy",
    )


def _history(store: Store, r: random.Random, order: Record, created: datetime, now: datetime) -> None:
    """Move a seeded order along its life: cancelled, or paid and shipped (whole or in part), or closed."""
    age = (now - created).days
    if r.random() < 0.04:
        cancel(store, order, r.choice(("customer", "inventory", "fraud", "declined")), created + timedelta(hours=5))
        return
    if order.doc["financial_status"] != "paid" or r.random() < (0.1 if age > 3 else 0.6):
        return
    shipped_at = min(now, created + timedelta(hours=r.randrange(6, 72)))
    fo = next(f for f in store.fulfillment_orders if f.doc["order_id"] == order.id)
    lines = [(ln, ln["fulfillable_quantity"]) for ln in fo.doc["line_items"]]
    if len(lines) > 1 and r.random() < 0.08:
        lines = lines[:1]  # the rest is back-ordered
    create_fulfillment(store, order, [(fo, lines)], _tracking(r, order), shipped_at)
    if order.doc["fulfillment_status"] == "fulfilled" and age > 20 and r.random() < 0.5:
        closed = shipped_at + timedelta(days=2)
        order.doc["closed_at"] = timestamp(closed)
        touch(order, closed)


def _tracking(r: random.Random, order: Record) -> dict[str, Any]:
    country = (order.doc.get("shipping_address") or {}).get("country_code") or "US"
    if country == "US":
        company = r.choice(("UPS", "USPS", "FedEx"))
    else:
        company = "Canada Post" if country == "CA" else "DHL Express"
    if company == "UPS":
        number = "1Z" + "".join(r.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(16))
    elif company == "USPS":
        number = "9400" + "".join(r.choice("0123456789") for _ in range(18))
    else:
        number = "".join(
            r.choice("0123456789") for _ in range(12 if company == "FedEx" else 10 if company == "DHL Express" else 16)
        )
    return {"number": number, "company": company, "url": None}
