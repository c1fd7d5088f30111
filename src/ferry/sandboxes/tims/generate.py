"""`POST /_sandbox/generate`: activity as TIMS users would make it, through the API's write path.

Each entity is made the way a user would get to it: an invoice is raised for an order that has
shipped, so when none has, an order is shipped first (and stock counted in if it is short). Every
write fires its webhooks like any API write.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ferry.sandboxes.kit import World
from ferry.sandboxes.tims.fields import cents
from ferry.sandboxes.tims.history import ADJUSTMENT_REASONS, CARRIERS, tracking_number
from ferry.sandboxes.tims.lines import is_active
from ferry.sandboxes.tims.problems import Problem
from ferry.sandboxes.tims.schema import COLLECTIONS, PAYMENT_METHODS, WAREHOUSES
from ferry.sandboxes.tims.seed import customer_values
from ferry.sandboxes.tims.store import Change, Key, Record

if TYPE_CHECKING:
    from ferry.sandboxes.tims.sandbox import TimsSandbox

GENERATABLE = (
    "customers",
    "sales-orders",
    "orders",
    "invoices",
    "payments",
    "shipments",
    "inventory-adjustments",
)


class Generator:
    """Makes one record at a time; the caller holds the sandbox lock."""

    def __init__(self, sandbox: TimsSandbox, seed: int) -> None:
        self.sandbox = sandbox
        self.seed = seed
        self.random = random.Random(seed * 7919 + 1)
        self._world: World | None = None
        self._made_companies = 0
        self._changes: list[Change] = []

    def one(self, entity: str) -> str:
        makers: dict[str, Callable[[], Key]] = {
            "customers": self.customer,
            "sales-orders": self.sales_order,
            "orders": self.sales_order,
            "invoices": self.invoice,
            "payments": self.payment,
            "shipments": self.shipment,
            "inventory-adjustments": self.adjustment,
        }
        self._changes = []
        try:
            key = makers[entity]()
        finally:
            # Whatever was committed on the way (a restock, a shipment) happened, so it is announced.
            self.sandbox.hooks.publish(self._changes)
        return "/".join(key) if isinstance(key, tuple) else str(key)

    # --- one maker per entity --------------------------------------------------------------------

    def customer(self) -> Key:
        if self._world is None:
            # Companies beyond the seeded ones, from a world of their own: new to every system.
            self._world = World(self.seed + 1_000_003)
        self._made_companies += 1
        company = self._world.companies(self._made_companies)[-1]
        return self._create("customers", customer_values(company))

    def sales_order(self) -> Key:
        items = [r for _, r in self._active("items") if r["Active"]]
        for customer in self._some(self._keys("customers"), 20):
            lines = [
                {"ItemID": item["ItemID"], "Quantity": self.random.randint(1, 6)}
                for item in self.random.sample(items, self.random.randint(1, min(4, len(items))))
            ]
            with contextlib.suppress(Problem):  # over this customer's credit: try another
                return self._create("sales-orders", {"CustomerID": customer, "Lines": lines})
        # Everyone is at their limit: a new customer places a small first order.
        cheapest = min(items, key=lambda item: Decimal(item["UnitPrice"]))
        lines = [{"ItemID": cheapest["ItemID"], "Quantity": 1}]
        return self._create("sales-orders", {"CustomerID": self.customer(), "Lines": lines})

    def shipment(self) -> Key:
        waiting = [k for k, r in self._active("sales-orders") if r["OrderStatus"] in ("Open", "Allocated")]
        for order_key in self._some(waiting, 10):
            with contextlib.suppress(Problem):
                return self._ship(order_key)
        return self._ship(self.sales_order())

    def invoice(self) -> Key:
        shipped = [k for k, r in self._active("sales-orders") if r["OrderStatus"] == "Shipped"]
        for order_key in self._some(shipped, 10):
            with contextlib.suppress(Problem):  # e.g. the customer has been deleted since
                return self._invoice(order_key)
        # Nothing awaits invoicing: take a new order through the warehouse first.
        order_key = self.sales_order()
        self._ship(order_key)
        return self._invoice(order_key)

    def payment(self) -> Key:
        unpaid = [k for k, r in self._active("invoices") if r["Type"] == "AR" and r["Balance"] > 0]
        for invoice_key in self._some(unpaid, 10):
            with contextlib.suppress(Problem):
                return self._pay(invoice_key)
        return self._pay(self.invoice())

    def adjustment(self) -> Key:
        items = [r for _, r in self._active("items")]
        item = self.random.choice(items)
        warehouse = self.random.choice(WAREHOUSES)
        row = self.sandbox.store.table("inventory").rows.get((item["SKU"], warehouse))
        available = row["Available"] if row else 0
        delta = (
            -self.random.randint(1, 3) if available >= 5 and self.random.random() < 0.3 else self.random.randint(5, 40)
        )
        reason = self.random.choice(ADJUSTMENT_REASONS if delta < 0 else ("Cycle count", "Found in yard"))
        values = {"SKU": item["SKU"], "Warehouse": warehouse, "QuantityDelta": delta, "Reason": reason}
        return self._create("inventory-adjustments", values)

    # --- helpers ---------------------------------------------------------------------------------

    def _ship(self, order_key: Key) -> Key:
        self._restock_for(self._get("sales-orders", order_key))
        carrier = self.random.choice(CARRIERS)
        values = {
            "SalesOrderID": order_key,
            "Carrier": carrier,
            "TrackingNumber": tracking_number(self.random, carrier),
        }
        return self._create("shipments", values)

    def _invoice(self, order_key: Key) -> Key:
        order = self._get("sales-orders", order_key)
        return self._create("invoices", {"CustomerID": order["CustomerID"], "SalesOrderID": order_key})

    def _pay(self, invoice_key: Key) -> Key:
        balance: Decimal = self._get("invoices", invoice_key)["Balance"]
        amount = balance if self.random.random() < 0.7 else max(Decimal("0.01"), cents(balance / 2))
        method = self.random.choice(PAYMENT_METHODS[:4])
        reference = f"{method.upper()}-{invoice_key}"
        values = {"InvoiceID": invoice_key, "Amount": amount, "Method": method, "Reference": reference}
        return self._create("payments", values)

    def _some(self, keys: list[Key], count: int) -> list[Key]:
        """Up to `count` of `keys` in random order: the candidates a user would look at."""
        return self.random.sample(keys, min(count, len(keys)))

    def _restock_for(self, order: Record) -> None:
        """Count in what an Open order needs and the warehouse lacks, so the shipment can go."""
        if order["OrderStatus"] == "Allocated":
            return  # its stock is already held for it
        rows = self.sandbox.store.table("inventory").rows
        for line in order["Lines"]:
            row = rows.get((line["SKU"], order["Warehouse"]))
            short = line["Quantity"] - (row["Available"] if row else 0)
            if short > 0:
                values = {"SKU": line["SKU"], "Warehouse": order["Warehouse"], "QuantityDelta": short + 10}
                self._create("inventory-adjustments", {**values, "Reason": "Received from vendor"})

    def _create(self, collection: str, given: dict[str, Any]) -> Key:
        spec = COLLECTIONS[collection]
        key, changes = self.sandbox.records.create(spec, {**spec.blank(), **given})
        self._changes.extend(changes)
        return key

    def _active(self, collection: str) -> list[tuple[Key, Record]]:
        return [(k, r) for k, r in self.sandbox.store.table(collection).rows.items() if is_active(r)]

    def _keys(self, collection: str) -> list[Key]:
        return [k for k, _ in self._active(collection)]

    def _get(self, collection: str, key: Key) -> Record:
        return self.sandbox.store.table(collection).rows[key]
