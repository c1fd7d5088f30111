"""New activity for `POST /_sandbox/generate`: checkouts, sign-ups and catalogue additions."""

from __future__ import annotations

from decimal import Decimal

from ferry.sandboxes.kit import World
from ferry.sandboxes.storefront.checkout import place_order
from ferry.sandboxes.storefront.customers import new_customer
from ferry.sandboxes.storefront.events import Publisher
from ferry.sandboxes.storefront.orders import announce_new_order
from ferry.sandboxes.storefront.products import new_product
from ferry.sandboxes.storefront.seed import checkout_spec, customer_data
from ferry.sandboxes.storefront.store import Record, Store

_COUNTRIES = ("US", "US", "US", "US", "CA", "GB", "AU", "DE")
_NEW_ITEMS = (
    ("Magnetic welding square", "Hardgoods", ("2 in", "3 in", "4 in")),
    ("Welding cap", "Safety", ("S/M", "L/XL")),
    ("Soapstone markers (pack of 12)", "Hardgoods", ()),
    ("Anti-spatter spray 16 oz", "Hardgoods", ()),
    ("Leather welding apron", "Safety", ("M", "L", "XL")),
    ("Wire brush set", "Hardgoods", ()),
    ("Welding table clamp", "Hardgoods", ("6 in", "8 in")),
)


def generate_customer(store: Store, world: World, events: Publisher) -> Record:
    r = store.rng
    company = r.choice(world.companies(60))
    person = world.person(r.choice(_COUNTRIES))
    taken = set(store.emails)
    data = customer_data(person, company, r, taken)
    if data["addresses"]:
        data["addresses"][0]["company"] = None  # a private buyer; the company only lends its street
    record = new_customer(store, data, store.now())
    events.publish("customers/create", record.doc)
    return record


def generate_order(store: Store, world: World, events: Publisher) -> Record:
    """A checkout: an existing customer (or a new one), stock that exists, shipping, tax."""
    r = store.rng
    customers = list(store.customers)
    customer = r.choice(customers) if customers and r.random() < 0.8 else generate_customer(store, world, events)
    variants = [
        v
        for p in store.products
        if p.doc["status"] == "active"
        for v in p.doc["variants"]
        if v["inventory_quantity"] > 0
    ]
    if not variants:
        variants = [v for p in store.products for v in p.doc["variants"]]
    spec = checkout_spec(store, r, customer, variants, store.now())
    spec.financial_status = r.choices(("paid", "pending", "authorized"), weights=(85, 10, 5))[0]
    record, moved = place_order(store, spec)
    announce_new_order(events, record.doc, moved)
    return record


def generate_product(store: Store, events: Publisher) -> Record:
    r = store.rng
    title, kind, sizes = r.choice(_NEW_ITEMS)
    base = Decimal(r.randrange(900, 9900)) / 100
    code = "".join(w[0] for w in title.split()[:3]).upper()
    serial = r.randrange(100, 999)
    variants = [
        {"title": size, "price": base + i * 2, "sku": f"{code}-{serial}-{i + 1}", "weight": Decimal("0.4"),
         "inventory_quantity": r.randrange(5, 60)}
        for i, size in enumerate(sizes or ("Default Title",))
    ]  # fmt: skip
    data = {"title": f"{title} {serial}" if r.random() < 0.5 else title, "product_type": kind,
            "tags": kind.lower(), "status": "active", "variants": variants,
            "option_name": "Size" if sizes else "Title"}  # fmt: skip
    record = new_product(store, data, store.now())
    events.publish("products/create", record.doc)
    return record
