"""Business rules of the order-to-cash documents: sales orders, purchase orders, invoices, shipments.

Each `prepare_*` gets the record as it will be (`after`, a fresh dict it may fill in) and as it was
(`before`, None on create), refuses what the business would refuse, and stages the records the change
moves along (a shipment ships its order; an invoice marks its order invoiced). Stock, balances and
credit are settled afterwards in `ledger.py`, over everything staged.
"""

from __future__ import annotations

from datetime import timedelta

from ferry.sandboxes.tims.lines import (
    ZERO,
    copy_lines,
    is_active,
    lines_tax,
    lines_total,
    newly_referenced,
    require,
    resolve_lines,
)
from ferry.sandboxes.tims.problems import FieldProblem, Problem, rule_problem, validation_problem
from ferry.sandboxes.tims.schema import INACTIVE, TERM_DAYS
from ferry.sandboxes.tims.store import Key, Record, Tx

# Moves a client may make by writing OrderStatus; Shipped and Invoiced come from shipments and invoices.
ORDER_MOVES: dict[str, frozenset[str]] = {
    "Open": frozenset({"Allocated", "Cancelled"}),
    "Allocated": frozenset({"Open", "Cancelled"}),
    "Shipped": frozenset(),
    "Invoiced": frozenset({"Closed"}),
    "Closed": frozenset(),
    "Cancelled": frozenset(),
}
EDITABLE_ORDER = ("Open", "Allocated")
PO_MOVES: dict[str, frozenset[str]] = {
    "Open": frozenset({"Received", "Cancelled", INACTIVE}),
    "Cancelled": frozenset({"Open", INACTIVE}),
    "Inactive": frozenset({"Open"}),
    "Received": frozenset(),
}


def _activating(before: Record | None, after: Record) -> bool:
    return is_active(after) and not is_active(before)


def _deactivating(before: Record | None, after: Record) -> bool:
    return is_active(before) and not is_active(after)


def _lines_sent(before: Record | None, after: Record) -> bool:
    # A PATCH without Lines carries the stored list object itself; anything else was sent.
    return before is None or after.get("Lines") is not before.get("Lines")


def _move(tx: Tx, collection: str, key: Key, **changes: object) -> None:
    current = tx.get(collection, key)
    assert current is not None
    tx.stage(collection, key, {**current, **changes})


def prepare_sales_order(tx: Tx, key: Key, before: Record | None, after: Record) -> None:
    old, new = (before["OrderStatus"] if before else None), after["OrderStatus"]
    if old is None and new not in EDITABLE_ORDER:
        raise _state(f"A new order must be Open or Allocated, not {new}.", "OrderStatus")
    if old is not None and new != old and new not in ORDER_MOVES[old]:
        hint = {"Shipped": " Post a shipment instead.", "Invoiced": " Post an invoice for it instead."}.get(new, "")
        raise _state(f"An order cannot move from {old} to {new}.{hint}", "OrderStatus")
    if _deactivating(before, after) and old not in (*EDITABLE_ORDER, "Cancelled"):
        raise _state(f"Order {key} is {old} and cannot be deleted; cancel orders before they ship.")
    frozen = before is not None and old not in EDITABLE_ORDER
    if frozen:
        assert before is not None
        for name in ("CustomerID", "Currency", "Warehouse", "OrderDate"):
            if after[name] != before[name]:
                raise _state(f"Order {key} is {old}; {name} can no longer change.", name)
    customer = require(
        tx, "customers", after["CustomerID"], "CustomerID", active=newly_referenced(before, after, "CustomerID")
    )
    if after["Currency"] is None:
        after["Currency"] = customer["Currency"]
    elif after["Currency"] != customer["Currency"]:
        raise rule_problem(
            "currency-mismatch",
            f"Customer {after['CustomerID']} trades in {customer['Currency']}, not {after['Currency']}.",
            "Currency",
        )
    after["OrderNumber"] = after["OrderNumber"] or f"SO-{key}"
    after["OrderDate"] = after["OrderDate"] or tx.now.date()
    if _lines_sent(before, after):
        after["Lines"] = resolve_lines(tx, after["Lines"], for_sale=True)
        if frozen and before is not None and after["Lines"] != before["Lines"]:
            raise _state(f"Order {key} is {old}; its lines can no longer change.", "Lines")
    after["Total"] = lines_total(after["Lines"])


def prepare_purchase_order(tx: Tx, key: Key, before: Record | None, after: Record) -> None:
    old, new = (before["Status"] if before else None), after["Status"]
    if old is None and new not in ("Open", "Received"):
        raise _state(f"A new purchase order must be Open or Received, not {new}.", "Status")
    if old is not None and new != old and new not in PO_MOVES[old]:
        raise _state(f"A purchase order cannot move from {old} to {new}.", "Status")
    require(tx, "vendors", after["VendorID"], "VendorID", active=newly_referenced(before, after, "VendorID"))
    after["OrderDate"] = after["OrderDate"] or tx.now.date()
    if _lines_sent(before, after):
        after["Lines"] = resolve_lines(tx, after["Lines"], for_sale=False)
        if before is not None and old != "Open" and after["Lines"] != before["Lines"]:
            raise _state(f"Purchase order {key} is {old}; its lines can no longer change.", "Lines")
    after["Total"] = lines_total(after["Lines"])


def prepare_invoice(tx: Tx, key: Key, before: Record | None, after: Record) -> None:
    if before is not None:
        for name in ("Type", "SalesOrderID"):
            if after[name] != before[name]:
                raise _state(f"{name} of invoice {key} cannot change; post a new invoice.", name)
    party = _invoice_party(tx, before, after)
    order: Record | None = None
    if after["SalesOrderID"] is not None:
        active = newly_referenced(before, after, "SalesOrderID")
        order = require(tx, "sales-orders", after["SalesOrderID"], "SalesOrderID", active=active)
        if order["CustomerID"] != after["CustomerID"]:
            raise rule_problem(
                "invalid-reference",
                f"Sales order {after['SalesOrderID']} belongs to customer {order['CustomerID']}.",
                "SalesOrderID",
            )
        if _activating(before, after):
            if order["OrderStatus"] != "Shipped":
                raise _state(
                    f"Sales order {after['SalesOrderID']} is {order['OrderStatus']}; only shipped orders are invoiced.",
                    "SalesOrderID",
                )
            _move(tx, "sales-orders", after["SalesOrderID"], OrderStatus="Invoiced")
        elif _deactivating(before, after) and order["OrderStatus"] == "Invoiced":
            _move(tx, "sales-orders", after["SalesOrderID"], OrderStatus="Shipped")
    if after["Lines"] is None:
        if order is None:
            raise validation_problem([FieldProblem("Lines", "is required unless SalesOrderID is given")])
        # Already resolved and priced on the order; an order carries no tax.
        after["Lines"] = [{**line, "Tax": ZERO} for line in copy_lines(order["Lines"])]
    elif _lines_sent(before, after):
        if not after["Lines"]:
            raise validation_problem([FieldProblem("Lines", "must have at least 1 item")])
        after["Lines"] = resolve_lines(tx, after["Lines"], for_sale=False, taxed=True)
    fallback = order["Currency"] if order else party.get("Currency") or "USD"
    after["Currency"] = after["Currency"] or fallback
    after["InvoiceDate"] = after["InvoiceDate"] or tx.now.date()
    if after["DueDate"] is None:
        after["DueDate"] = after["InvoiceDate"] + timedelta(days=TERM_DAYS[party["PaymentTerms"]])
    elif after["DueDate"] < after["InvoiceDate"]:
        raise rule_problem("invalid-dates", "DueDate is before InvoiceDate.", "DueDate")
    prefix = "INV" if after["Type"] == "AR" else "AP"
    after["InvoiceNumber"] = after["InvoiceNumber"] or f"{prefix}-{key}"
    # Total is what the customer owes: the lines' net amounts plus the tax charged on them.
    after["Tax"] = lines_tax(after["Lines"])
    after["Total"] = lines_total(after["Lines"]) + after["Tax"]
    # Provisional; `ledger.settle_invoices` recomputes both from the payments.
    after.setdefault("Balance", after["Total"])
    after.setdefault("PaymentStatus", "Unpaid")
    if _deactivating(before, after) and any(is_active(p) and p["InvoiceID"] == key for _, p in tx.rows("payments")):
        raise _state(f"Invoice {key} has payments; delete them before the invoice.")


def _invoice_party(tx: Tx, before: Record | None, after: Record) -> Record:
    ar = after["Type"] == "AR"
    wanted, unwanted = ("CustomerID", "VendorID") if ar else ("VendorID", "CustomerID")
    problems = []
    if after[wanted] is None:
        problems.append(FieldProblem(wanted, f"is required for {after['Type']} invoices"))
    if after[unwanted] is not None:
        problems.append(FieldProblem(unwanted, f"must be empty on {after['Type']} invoices"))
    if not ar and after["SalesOrderID"] is not None:
        problems.append(FieldProblem("SalesOrderID", "must be empty on AP invoices"))
    if problems:
        raise validation_problem(problems)
    active = newly_referenced(before, after, wanted)
    return require(tx, "customers" if ar else "vendors", after[wanted], wanted, active=active)


def prepare_shipment(tx: Tx, key: Key, before: Record | None, after: Record) -> None:
    if before is not None and after["SalesOrderID"] != before["SalesOrderID"]:
        raise _state(f"SalesOrderID of shipment {key} cannot change; void it and ship again.", "SalesOrderID")
    order_id = after["SalesOrderID"]
    if _activating(before, after):
        order = require(tx, "sales-orders", order_id, "SalesOrderID")
        if order["OrderStatus"] not in EDITABLE_ORDER:
            raise _state(
                f"Sales order {order_id} is {order['OrderStatus']}; only Open or Allocated orders ship.",
                "SalesOrderID",
            )
        after["Lines"] = _shipment_lines(order, after["Lines"])
        after["Warehouse"] = order["Warehouse"]
        _move(tx, "sales-orders", order_id, OrderStatus="Shipped")
    elif _deactivating(before, after):
        shipped = tx.get("sales-orders", order_id)
        if shipped is not None and shipped["OrderStatus"] != "Shipped":
            raise _state(f"Sales order {order_id} is {shipped['OrderStatus']}; its shipment can no longer be voided.")
        if shipped is not None:
            _move(tx, "sales-orders", order_id, OrderStatus="Open")
    elif before is not None and _lines_sent(before, after) and after["Lines"] is not None:
        current = tx.get("sales-orders", order_id)
        if current is None or _shipment_lines(current, after["Lines"]) != before["Lines"]:
            raise _state(f"The lines of shipment {key} cannot change; void it and ship again.", "Lines")
        after["Lines"] = before["Lines"]
    after["ShippedAt"] = after["ShippedAt"] or tx.now


def _shipment_lines(order: Record, lines: list[Record] | None) -> list[Record]:
    """What leaves the warehouse: all of the order by default, or the lines named (never more)."""
    ordered = {line["LineNo"]: line for line in order["Lines"]}
    if lines is None:
        return [_ship(line, line["Quantity"]) for line in order["Lines"]]
    shipped: dict[int, Record] = {}
    problems: list[FieldProblem] = []
    for n, line in enumerate(lines):
        path = f"Lines[{n}]"
        match = _order_line(ordered, shipped, line)
        if match is None:
            problems.append(FieldProblem(path, "matches no unshipped line of the order"))
        elif line["Quantity"] > match["Quantity"]:
            problems.append(FieldProblem(f"{path}.Quantity", f"is more than the {match['Quantity']} ordered"))
        else:
            shipped[match["LineNo"]] = _ship(match, line["Quantity"])
    if problems:
        raise Problem(422, "Some shipment lines do not match the order.", slug="invalid-line", errors=problems)
    return sorted(shipped.values(), key=lambda line: int(line["LineNo"]))


def _order_line(ordered: dict[int, Record], shipped: dict[int, Record], line: Record) -> Record | None:
    if line.get("LineNo") is not None:
        match = ordered.get(line["LineNo"])
        if match is None or match["LineNo"] in shipped:
            return None
        candidates = [match]
    else:
        candidates = [o for no, o in ordered.items() if no not in shipped]
    for candidate in candidates:
        if line.get("ItemID") not in (None, candidate["ItemID"]) or line.get("SKU") not in (None, candidate["SKU"]):
            continue
        return candidate
    return None


def _ship(line: Record, quantity: int) -> Record:
    return {"LineNo": line["LineNo"], "ItemID": line["ItemID"], "SKU": line["SKU"], "Quantity": quantity}


def _state(detail: str, field: str | None = None) -> Problem:
    return rule_problem("invalid-state", detail, field)
