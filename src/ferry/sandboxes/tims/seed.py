"""The seeded TIMS data set: the same seed gives the same records.

Customers come from `companies[100:400]` of the shared world, so 200 of them also exist in the
Dynamics 365 sandbox (`companies[0:300]`) and must be matched by a sync engine; their `ExternalID`
is left empty. History is replayed through the same rules the API enforces, in time order over the
last 90 days (orders placed, allocated, shipped, invoiced, paid, closed), so every total, balance and
stock level in the seeded data is one the API itself would have produced.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from ferry.sandboxes.kit import Company, ManualClock, Product, World
from ferry.sandboxes.kit.world import Address
from ferry.sandboxes.tims.fields import cents
from ferry.sandboxes.tims.history import History
from ferry.sandboxes.tims.records import Records
from ferry.sandboxes.tims.schema import COLLECTIONS, WAREHOUSES
from ferry.sandboxes.tims.store import Store

CUSTOMER_OFFSET = 100
HISTORY_DAYS = 90
DEFAULT_SIZES: dict[str, int] = {
    "customers": 300,
    "vendors": 40,
    "sales-orders": 150,
    "purchase-orders": 15,
    "gl-entries": 24,
    "inventory-adjustments": 20,
}


def address(value: Address | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {
        "Line1": value.line1,
        "Line2": value.line2,
        "City": value.city,
        "State": value.state,
        "PostalCode": value.postal_code,
        "Country": value.country_code,
    }


def customer_values(company: Company) -> dict[str, Any]:
    contact = company.primary_contact
    return {
        "ExternalID": None,
        "CompanyName": company.name,
        "FirstName": contact.first_name if contact else None,
        "LastName": contact.last_name if contact else None,
        "Email": (contact.email if contact and contact.email else company.email),
        "Phone": company.phone,
        "BillingAddress": address(company.address),
        "ShippingAddress": address(company.shipping_address),
        "PaymentTerms": company.payment_terms,
        "CreditLimit": None if company.credit_limit is None else cents(company.credit_limit),
        "Currency": company.currency,
        "Status": "Active",
    }


def item_values(product: Product) -> dict[str, Any]:
    return {
        "SKU": product.sku,
        "ExternalID": None,
        "Description": product.name,
        "UnitPrice": product.unit_price,
        "Currency": "USD",
        "UnitOfMeasure": product.unit_of_measure,
        "Active": product.active,
        "Status": "Active",
    }


def vendor_values(company: Company) -> dict[str, Any]:
    return {
        "ExternalID": None,
        "CompanyName": company.name,
        "Email": company.email,
        "Phone": company.phone,
        "Address": address(company.address),
        "PaymentTerms": company.payment_terms,
        "Status": "Active",
    }


def previous_month(now: datetime) -> str:
    first = now.date().replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


def build_store(seed: int, sizes: dict[str, int] | None, now: datetime) -> Store:
    """A new store holding the seeded data set as of `now`."""
    wanted = {k: max(0, v) for k, v in (sizes or {}).items() if k in (*DEFAULT_SIZES, "items")}
    counts = {**DEFAULT_SIZES, **wanted}
    world = World.for_seed(seed)  # shared with the other sandboxes of this process, generated once
    companies, vendors = world.companies(CUSTOMER_OFFSET + counts["customers"]), world.vendors(counts["vendors"])
    products = tuple(world.products[: counts.get("items", len(world.products))])
    store = Store(closed_before=None)  # history may post to periods that are closed today
    records = Records(store, ManualClock(now))
    r = random.Random(seed)
    start = now - timedelta(days=HISTORY_DAYS)

    def moment(low_days: float = 0, high_days: float = HISTORY_DAYS - 1) -> datetime:
        return start + timedelta(days=r.uniform(low_days, high_days))

    for product in products:
        records.create(COLLECTIONS["items"], item_values(product), at=moment())
        for warehouse in WAREHOUSES:
            _stock(store, product, warehouse, r)
    for company in companies[CUSTOMER_OFFSET:]:
        records.create(COLLECTIONS["customers"], customer_values(company), at=moment())
    for company in vendors:
        records.create(COLLECTIONS["vendors"], vendor_values(company), at=moment())
    History(records, r, now, start, products).replay(counts)
    store.closed_before = previous_month(now)
    return store


def _stock(store: Store, product: Product, warehouse: str, r: random.Random) -> None:
    # Opening stock is set directly: it is the state before the 90 days of replayed history.
    row = store.tables["inventory"].rows[(product.sku, warehouse)]
    if not product.active or r.random() < 0.05:
        return
    high = 400 if warehouse == "MAIN" else 150
    on_hand = r.randint(high // 10, high)
    row.update(OnHand=on_hand, Available=on_hand - row["Allocated"])
