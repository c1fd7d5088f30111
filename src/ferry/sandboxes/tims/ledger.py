"""What follows from staged records as a whole: stock levels, invoice balances, customer credit.

Each is derived from the state of the records, not from the request that changed them: an order
that *is* Allocated holds stock, a shipment that exists has taken stock out, an active payment pays
its invoice. So a create, an edit, a delete or an undelete all settle the same way: the effect of the
record as it will be, minus the effect of the record as it was.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from ferry.sandboxes.tims.lines import ZERO, find_item_by_sku, is_active
from ferry.sandboxes.tims.problems import FieldProblem, Problem, rule_problem
from ferry.sandboxes.tims.store import Record, Tx

StockKey = tuple[str, str]
# Order statuses whose total still counts against the customer's credit (not yet invoiced).
OPEN_ORDER = ("Open", "Allocated", "Shipped")


def inventory_row(sku: str, warehouse: str, item_id: int, on_hand: int = 0, allocated: int = 0) -> Record:
    return {
        "SKU": sku,
        "Warehouse": warehouse,
        "ItemID": item_id,
        "OnHand": on_hand,
        "Allocated": allocated,
        "Available": on_hand - allocated,
        "Status": "Active",
    }


def settle(tx: Tx) -> None:
    """Derive and check everything the staged records imply; raise before anything is written."""
    settle_invoices(tx)
    settle_stock(tx)
    check_credit(tx)
    tx.check_unique()


def stock_effects(collection: str, record: Record) -> dict[StockKey, tuple[int, int]]:
    """(OnHand, Allocated) changes a record in this state accounts for."""
    effects: dict[StockKey, tuple[int, int]] = defaultdict(lambda: (0, 0))
    if not is_active(record):
        return effects
    if collection == "sales-orders" and record["OrderStatus"] == "Allocated":
        for line in record["Lines"]:
            on_hand, allocated = effects[(line["SKU"], record["Warehouse"])]
            effects[(line["SKU"], record["Warehouse"])] = (on_hand, allocated + line["Quantity"])
    elif collection == "shipments" or (collection == "purchase-orders" and record["Status"] == "Received"):
        sign = -1 if collection == "shipments" else 1
        for line in record["Lines"]:
            on_hand, allocated = effects[(line["SKU"], record["Warehouse"])]
            effects[(line["SKU"], record["Warehouse"])] = (on_hand + sign * line["Quantity"], allocated)
    elif collection == "inventory-adjustments":
        effects[(record["SKU"], record["Warehouse"])] = (record["QuantityDelta"], 0)
    return effects


def settle_stock(tx: Tx) -> None:
    deltas: dict[StockKey, list[int]] = defaultdict(lambda: [0, 0])
    for collection in ("sales-orders", "shipments", "purchase-orders", "inventory-adjustments"):
        for key, record in tx.staged_in(collection):
            before = tx.committed(collection, key)
            _add(deltas, stock_effects(collection, record).items(), 1)
            if before is not None:
                _add(deltas, stock_effects(collection, before).items(), -1)
    problems: list[FieldProblem] = []
    field = "QuantityDelta" if tx.staged_in("inventory-adjustments") else "Lines"
    for (sku, warehouse), (d_on_hand, d_allocated) in deltas.items():
        if d_on_hand == 0 and d_allocated == 0:
            continue
        row = tx.get("inventory", (sku, warehouse)) or _new_row(tx, sku, warehouse)
        on_hand, allocated = row["OnHand"] + d_on_hand, row["Allocated"] + d_allocated
        available = on_hand - allocated
        if on_hand < 0 or allocated < 0 or (available < 0 and d_on_hand - d_allocated < 0):
            problems.append(
                FieldProblem(
                    field,
                    f"{sku} in {warehouse}: {row['Available']} available, {d_allocated - d_on_hand} needed",
                )
            )
            continue
        tx.stage(
            "inventory", (sku, warehouse), {**row, "OnHand": on_hand, "Allocated": allocated, "Available": available}
        )
    if problems:
        detail = "Not enough stock: " + "; ".join(p.message for p in problems) + "."
        raise Problem(422, detail, slug="insufficient-stock", errors=problems)


def _add(deltas: dict[StockKey, list[int]], effects: Iterable[tuple[StockKey, tuple[int, int]]], sign: int) -> None:
    for key, (on_hand, allocated) in effects:
        deltas[key][0] += sign * on_hand
        deltas[key][1] += sign * allocated


def _new_row(tx: Tx, sku: str, warehouse: str) -> Record:
    found = find_item_by_sku(tx, sku)
    assert found is not None and isinstance(found[0], int), "rules resolve every SKU before stock settles"
    return inventory_row(sku, warehouse, found[0])


def settle_invoices(tx: Tx) -> None:
    """Balance and PaymentStatus of every invoice a staged payment or invoice touches."""
    affected: set[int] = {key for key, _ in tx.staged_in("invoices") if isinstance(key, int)}
    for key, payment in tx.staged_in("payments"):
        affected.add(payment["InvoiceID"])
        before = tx.committed("payments", key)
        if before is not None:
            affected.add(before["InvoiceID"])
    if not affected:
        return
    paid: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for _, payment in tx.rows("payments"):
        if is_active(payment) and payment["InvoiceID"] in affected:
            paid[payment["InvoiceID"]] += payment["Amount"]
    for invoice_id in affected:
        invoice = tx.get("invoices", invoice_id)
        if invoice is None:
            continue
        amount, total = paid[invoice_id], invoice["Total"]
        if amount > total:
            raise rule_problem(
                "overpayment",
                f"Payments on invoice {invoice_id} would come to {amount} {invoice['Currency']}, "
                f"more than its total of {total}.",
                "Amount",
                invoiceTotal=str(total),
                balance=str(invoice["Balance"]),
            )
        balance = total - amount
        status = "Paid" if balance == 0 else "Unpaid" if amount == 0 else "Partial"
        if invoice.get("Balance") != balance or invoice.get("PaymentStatus") != status:
            tx.stage("invoices", invoice_id, {**invoice, "Balance": balance, "PaymentStatus": status})


def check_credit(tx: Tx) -> None:
    """Refuse a staged order that takes its customer past their credit limit."""
    customers: set[int] = set()
    for key, order in tx.staged_in("sales-orders"):
        customers.add(order["CustomerID"])
        before = tx.committed("sales-orders", key)
        if before is not None:
            customers.add(before["CustomerID"])
    for customer_id in customers:
        customer = tx.get("customers", customer_id)
        if customer is None or customer["CreditLimit"] is None:
            continue
        orders_before = _open_orders(tx.store.tables["sales-orders"].rows.values(), customer_id)
        orders_after = _open_orders((r for _, r in tx.rows("sales-orders")), customer_id)
        if orders_after <= orders_before:
            continue  # the change lowers or keeps the customer's exposure: never refused
        receivable = sum(
            (
                inv["Balance"]
                for _, inv in tx.rows("invoices")
                if is_active(inv) and inv["Type"] == "AR" and inv["CustomerID"] == customer_id
            ),
            ZERO,
        )
        limit: Decimal = customer["CreditLimit"]
        if receivable + orders_after > limit:
            this = sum(
                (o["Total"] for _, o in tx.staged_in("sales-orders") if _counts(o, customer_id)),
                ZERO,
            )
            others = orders_after - this
            remaining = max(ZERO, limit - receivable - others)
            raise rule_problem(
                "credit-limit-exceeded",
                f"The order total of {this} exceeds the remaining credit of {remaining} for customer "
                f"{customer_id} (credit limit {limit}, open AR balance {receivable}, other open orders {others}).",
                "CustomerID",
                creditLimit=str(limit),
                availableCredit=str(remaining),
            )


def _counts(order: Record, customer_id: int) -> bool:
    return is_active(order) and order["CustomerID"] == customer_id and order["OrderStatus"] in OPEN_ORDER


def _open_orders(orders: Iterable[Record], customer_id: int) -> Decimal:
    return sum((o["Total"] for o in orders if _counts(o, customer_id)), ZERO)
