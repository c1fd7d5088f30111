"""Ninety days of business, replayed in time order through the API's own write path.

Every step (place, allocate, ship, invoice, pay, close; receive a purchase order; count stock; post
a journal) is planned up front with its time, then run sorted by time. A step the rules refuse
(credit, stock) is skipped, as the business would have skipped it, and the steps after it that
depend on it find nothing to do.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ferry.sandboxes.kit import Product
from ferry.sandboxes.tims.fields import cents
from ferry.sandboxes.tims.problems import Problem
from ferry.sandboxes.tims.records import Records
from ferry.sandboxes.tims.schema import COLLECTIONS, PAYMENT_METHODS, WAREHOUSES

CARRIERS = ("Own Fleet", "Own Fleet", "UPS", "FedEx", "Estes", "DHL")
ADJUSTMENT_REASONS = (
    "Cycle count",
    "Damaged cylinder",
    "Returned by customer",
    "Found in yard",
    "Scrapped",
    "Cylinder failed hydro test",
)
# (description, debit account, credit account, split the debit over warehouses)
JOURNALS = (
    ("Cylinder rental billing", "1200", "4100", False),
    ("Depreciation - cylinder fleet", "6500", "1590", False),
    ("Payroll - drivers and fillers", "6000", "1000", True),
    ("Freight in", "6100", "2000", False),
    ("Hazmat fees collected", "1000", "4200", False),
)

#: A planned step, run with the moment it happens.
Action = Callable[[datetime], None]


def tracking_number(r: random.Random, carrier: str) -> str:
    if carrier == "UPS":
        return "1Z" + "".join(r.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(16))
    if carrier == "FedEx":
        return "".join(r.choice("0123456789") for _ in range(12))
    if carrier == "Own Fleet":
        return f"RT-{r.randint(1, 40):02d}-{r.randint(10000, 99999)}"
    return "".join(r.choice("0123456789") for _ in range(10))


def order_status_for(age_days: float, r: random.Random) -> str:
    """Where an order placed `age_days` ago has got to: older orders are further along."""
    if age_days < 2:
        return r.choices(("Open", "Allocated"), (65, 35))[0]
    if age_days < 10:
        return r.choices(("Open", "Allocated", "Shipped", "Invoiced"), (15, 20, 35, 30))[0]
    return r.choices(("Cancelled", "Shipped", "Invoiced", "Closed"), (6, 4, 35, 55))[0]


class History:
    def __init__(
        self, records: Records, r: random.Random, now: datetime, start: datetime, products: tuple[Product, ...]
    ) -> None:
        self.records = records
        self.r = r
        self.now = now
        self.start = start
        self.products = [p for p in products if p.active]
        self._plan: list[tuple[datetime, int, Action]] = []

    def replay(self, counts: dict[str, int]) -> None:
        tables = self.records.store.tables
        customers = sorted(k for k in tables["customers"].rows if isinstance(k, int))
        vendors = sorted(k for k in tables["vendors"].rows if isinstance(k, int))
        if customers and self.products:
            for n in range(counts["sales-orders"]):
                self._order(n, customers)
        if vendors and self.products:
            for _ in range(counts["purchase-orders"]):
                self._purchase(vendors)
        if self.products:
            for _ in range(counts["inventory-adjustments"]):
                self._adjustment()
        for _ in range(counts["gl-entries"]):
            self._journal()
        for when, _, action in sorted(self._plan, key=lambda step: (step[0], step[1])):
            # Refused then as it would be now; the later steps of the same story find nothing to do.
            with contextlib.suppress(Problem):
                action(when)

    def _at(self, when: datetime, action: Action) -> None:
        self._plan.append((min(when, self.now - timedelta(minutes=1)), len(self._plan), action))

    def _values(self, collection: str, **given: Any) -> dict[str, Any]:
        return {**COLLECTIONS[collection].blank(), **given}

    def _order(self, n: int, customers: list[int]) -> None:
        r = self.r
        # Skewed towards recent days, so the open pipeline is as busy as a real branch's.
        age = r.triangular(0.2, (self.now - self.start).days - 1, 0.2)
        placed = self.now - timedelta(days=age)
        target = order_status_for(age, r)
        candidates = r.sample(customers, min(4, len(customers)))
        lines = []
        for product in r.sample(self.products, r.randint(1, min(4, len(self.products)))):
            quantity = r.randint(1, 12)
            discount = cents(quantity * product.unit_price * Decimal("0.05")) if r.random() < 0.15 else None
            lines.append({"SKU": product.sku, "Quantity": quantity, "Discount": discount})
        order = self._values(
            "sales-orders",
            ExternalID=f"EVX-{100001 + n}" if r.random() < 0.25 else None,
            Warehouse=r.choices(WAREHOUSES, (75, 25))[0],
            Lines=lines,
        )
        story: dict[str, Any] = {}

        def place(at: datetime) -> None:
            for customer in candidates:
                try:
                    key, _ = self.records.create(COLLECTIONS["sales-orders"], {**order, "CustomerID": customer}, at=at)
                except Problem:
                    continue  # over this customer's credit: the counter clerk sold to another
                story["order"] = key
                return

        self._at(placed, place)
        step = placed + timedelta(days=age * r.uniform(0.02, 0.1))
        if target == "Cancelled":
            self._at(step, lambda at: self._update(at, story, "sales-orders", "order", OrderStatus="Cancelled"))
            return
        if target != "Open" and r.random() < 0.7:
            self._at(step, lambda at: self._update(at, story, "sales-orders", "order", OrderStatus="Allocated"))
        if target in ("Open", "Allocated"):
            return
        shipped = step + timedelta(days=age * r.uniform(0.05, 0.2))
        carrier = r.choice(CARRIERS)
        shipment = self._values("shipments", Carrier=carrier, TrackingNumber=tracking_number(r, carrier))
        self._at(shipped, lambda at: self._ship(at, story, shipment))
        if target == "Shipped":
            return
        invoiced = shipped + timedelta(days=age * r.uniform(0.01, 0.05))
        self._at(invoiced, lambda at: self._invoice(at, story))
        paid = invoiced + timedelta(days=age * r.uniform(0.2, 0.5))
        if target == "Closed":
            method = r.choice(PAYMENT_METHODS[:4])
            self._at(paid, lambda at: self._pay(at, story, Decimal(1), method))
            closed = paid + timedelta(hours=1)
            self._at(closed, lambda at: self._update(at, story, "sales-orders", "order", OrderStatus="Closed"))
        elif r.random() < 0.35:
            share, method = Decimal(r.randint(20, 60)) / 100, r.choice(PAYMENT_METHODS[:4])
            self._at(paid, lambda at: self._pay(at, story, share, method))

    def _update(self, at: datetime, story: dict[str, Any], collection: str, role: str, **changes: Any) -> None:
        if role in story:
            self.records.update(COLLECTIONS[collection], story[role], changes, at=at)

    def _ship(self, at: datetime, story: dict[str, Any], values: dict[str, Any]) -> None:
        if "order" in story:
            values = {**values, "SalesOrderID": story["order"]}
            story["shipment"], _ = self.records.create(COLLECTIONS["shipments"], values, at=at)

    def _invoice(self, at: datetime, story: dict[str, Any]) -> None:
        if "shipment" not in story:
            return
        order = self.records.store.tables["sales-orders"].rows[story["order"]]
        values = self._values("invoices", CustomerID=order["CustomerID"], SalesOrderID=story["order"])
        story["invoice"], _ = self.records.create(COLLECTIONS["invoices"], values, at=at)

    def _pay(self, at: datetime, story: dict[str, Any], share: Decimal, method: str) -> None:
        if "invoice" not in story:
            return
        invoice = self.records.store.tables["invoices"].rows[story["invoice"]]
        amount = invoice["Balance"] if share == 1 else cents(invoice["Balance"] * share)
        if amount <= 0:
            return
        reference = f"{method.upper()}-{story['invoice']}"
        values = self._values("payments", InvoiceID=story["invoice"], Amount=amount, Method=method, Reference=reference)
        self.records.create(COLLECTIONS["payments"], values, at=at)

    def _purchase(self, vendors: list[int]) -> None:
        r = self.r
        ordered = self.start + timedelta(days=r.uniform(0, (self.now - self.start).days - 1))
        lines = [
            {"SKU": p.sku, "Quantity": r.randint(10, 60), "UnitPrice": p.standard_cost}
            for p in r.sample(self.products, r.randint(1, min(5, len(self.products))))
        ]
        values = self._values(
            "purchase-orders", VendorID=r.choice(vendors), Warehouse=r.choice(WAREHOUSES), Lines=lines
        )
        story: dict[str, Any] = {}

        def place(at: datetime) -> None:
            story["po"], _ = self.records.create(COLLECTIONS["purchase-orders"], values, at=at)

        self._at(ordered, place)
        outcome = r.choices(("Received", "Open", "Cancelled"), (70, 22, 8))[0]
        if outcome != "Open":
            later = ordered + timedelta(days=r.uniform(1, 8))
            self._at(later, lambda at: self._update(at, story, "purchase-orders", "po", Status=outcome))

    def _adjustment(self) -> None:
        r = self.r
        product = r.choice(self.products)
        delta = r.choice((-3, -2, -1, -1, 2, 5, 12, 24))
        values = self._values(
            "inventory-adjustments",
            SKU=product.sku,
            Warehouse=r.choice(WAREHOUSES),
            QuantityDelta=delta,
            Reason=r.choice(ADJUSTMENT_REASONS[:1] + ADJUSTMENT_REASONS[2:4] if delta > 0 else ADJUSTMENT_REASONS),
        )
        when = self.start + timedelta(days=r.uniform(0, (self.now - self.start).days))
        self._at(when, lambda at: self._create(at, "inventory-adjustments", values))

    def _journal(self) -> None:
        r = self.r
        description, debit, credit, split = r.choice(JOURNALS)
        amount = cents(Decimal(r.randint(25_000, 900_000)) / 100)
        when = self.start + timedelta(days=r.uniform(0, (self.now - self.start).days))
        lines: list[dict[str, Any]] = []
        if split:
            east = cents(amount * Decimal(r.randint(25, 45)) / 100)
            lines += [_gl(debit, amount - east, None, "MAIN"), _gl(debit, east, None, "EAST")]
        else:
            lines.append(_gl(debit, amount, None, None))
        lines.append(_gl(credit, None, amount, None))
        values = self._values("gl-entries", PostingDate=when.date(), Description=description, Lines=lines)
        self._at(when, lambda at: self._create(at, "gl-entries", values))

    def _create(self, at: datetime, collection: str, values: dict[str, Any]) -> None:
        self.records.create(COLLECTIONS[collection], values, at=at)


def _gl(account: str, debit: Decimal | None, credit: Decimal | None, dimension: str | None) -> dict[str, Any]:
    zero = Decimal("0.00")
    return {"Account": account, "Debit": debit or zero, "Credit": credit or zero, "Dimension": dimension}
