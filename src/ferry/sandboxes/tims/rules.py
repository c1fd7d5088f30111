"""Business rules per collection: defaults the sandbox fills in, references, and what TIMS refuses.

The document rules (orders, invoices, shipments) live in `documents.py`; what follows from all of them
together (stock, invoice balances, credit) is settled in `ledger.py`.
"""

from __future__ import annotations

from collections.abc import Callable

from ferry.sandboxes.tims.documents import (
    prepare_invoice,
    prepare_purchase_order,
    prepare_sales_order,
    prepare_shipment,
)
from ferry.sandboxes.tims.journal import prepare_gl_entry
from ferry.sandboxes.tims.ledger import inventory_row
from ferry.sandboxes.tims.lines import find_item_by_sku, is_active, require
from ferry.sandboxes.tims.problems import FieldProblem, rule_problem, validation_problem
from ferry.sandboxes.tims.schema import INACTIVE, WAREHOUSES
from ferry.sandboxes.tims.store import Key, Record, Tx

Rule = Callable[[Tx, Key, Record | None, Record], None]

#: Fields the sandbox fills in when they are absent. An update (PUT or PATCH) that leaves one empty
#: keeps the stored value instead of recomputing it, so a PUT need not repeat them.
DERIVED: dict[str, tuple[str, ...]] = {
    "sales-orders": ("OrderNumber", "OrderDate", "Currency"),
    "purchase-orders": ("OrderDate",),
    "invoices": ("InvoiceNumber", "InvoiceDate", "DueDate", "Currency", "Lines"),
    "payments": ("Type", "Currency", "PaymentDate"),
    "gl-entries": ("Period",),
    "shipments": ("ShippedAt", "Lines"),
}


def prepare_customer(tx: Tx, key: Key, before: Record | None, after: Record) -> None:
    if not after["CompanyName"] and not after["LastName"]:
        raise validation_problem([FieldProblem("CompanyName", "give CompanyName, or LastName for a person")])


def prepare_item(tx: Tx, key: Key, before: Record | None, after: Record) -> None:
    if before is not None and after["SKU"] != before["SKU"]:
        # Inventory and order lines are keyed by SKU; renaming would orphan them.
        raise rule_problem("immutable-field", f"The SKU of item {key} cannot change.", "SKU")
    if after["Status"] == INACTIVE:
        after["Active"] = False
    if before is None:
        assert isinstance(key, int)
        for warehouse in WAREHOUSES:
            if tx.get("inventory", (after["SKU"], warehouse)) is None:
                tx.stage("inventory", (after["SKU"], warehouse), inventory_row(after["SKU"], warehouse, key))


def prepare_vendor(tx: Tx, key: Key, before: Record | None, after: Record) -> None:
    """Vendors carry no rules beyond their fields."""


def prepare_payment(tx: Tx, key: Key, before: Record | None, after: Record) -> None:
    if not is_active(after):
        return  # deleting a payment is always allowed; the invoice balance follows in the ledger
    invoice = require(tx, "invoices", after["InvoiceID"], "InvoiceID")
    for name in ("Type", "Currency"):
        if after[name] is None:
            after[name] = invoice[name]
        elif after[name] != invoice[name]:
            raise rule_problem(
                f"{name.lower()}-mismatch",
                f"{name} {after[name]} does not match invoice {after['InvoiceID']} ({invoice[name]}).",
                name,
            )
    after["PaymentDate"] = after["PaymentDate"] or tx.now.date()


def prepare_adjustment(tx: Tx, key: Key, before: Record | None, after: Record) -> None:
    if find_item_by_sku(tx, after["SKU"]) is None:
        raise rule_problem("unknown-reference", f"There is no item with SKU {after['SKU']!r}.", "SKU")


RULES: dict[str, Rule] = {
    "customers": prepare_customer,
    "items": prepare_item,
    "vendors": prepare_vendor,
    "sales-orders": prepare_sales_order,
    "purchase-orders": prepare_purchase_order,
    "invoices": prepare_invoice,
    "payments": prepare_payment,
    "gl-entries": prepare_gl_entry,
    "inventory-adjustments": prepare_adjustment,
    "shipments": prepare_shipment,
}
