"""Orders: list/get/count, create (as a checkout would), update, close/open/cancel, transactions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from starlette.responses import Response

from ferry.sandboxes.storefront import inventory
from ferry.sandboxes.storefront.checkout import place_order, shipping_location, stock_problem
from ferry.sandboxes.storefront.customers import new_customer
from ferry.sandboxes.storefront.errors import Validation, invalid, unprocessable
from ferry.sandboxes.storefront.events import Publisher
from ferry.sandboxes.storefront.formats import address_from_input, gid, tags_text, text_or_none, timestamp
from ferry.sandboxes.storefront.gate import Call, Endpoint, json_response
from ferry.sandboxes.storefront.order_input import read_order
from ferry.sandboxes.storefront.paging import Sort, fields_param, list_query, project, respond_page
from ferry.sandboxes.storefront.query import COMMON_FILTERS, choice_param, common_predicate, time_param
from ferry.sandboxes.storefront.store import Level, Record, Store, touch

_FILTERS = (*COMMON_FILTERS, "processed_at_min", "processed_at_max", "status", "financial_status",
            "fulfillment_status", "name", "order")  # fmt: skip
_FINANCIAL = {
    "any": None,
    "unpaid": {"authorized", "partially_paid", "pending"},
    **{s: {s} for s in ("authorized", "pending", "paid", "partially_paid", "refunded", "voided", "partially_refunded")},
}
_FULFILLMENT: dict[str, set[str | None] | None] = {
    "any": None,
    "shipped": {"fulfilled"},
    "fulfilled": {"fulfilled"},
    "partial": {"partial"},
    "unshipped": {None},
    "unfulfilled": {None, "partial"},
}
_CANCEL_REASONS = ("customer", "fraud", "inventory", "declined", "other")
_SORTS = {
    f"{f} {d}": Sort(f, d == "desc")
    for f in ("id", "created_at", "updated_at", "processed_at")
    for d in ("asc", "desc")
}


def order_filter(params: Mapping[str, str]) -> Callable[[Record], bool]:
    """`status` (default open), `financial_status`, `fulfillment_status`, `name` and the common filters."""
    common = common_predicate(params)
    status = choice_param(params, "status", ("open", "closed", "cancelled", "any"), "open")
    financial = _FINANCIAL[choice_param(params, "financial_status", _FINANCIAL, "any")]
    fulfillment = _FULFILLMENT[choice_param(params, "fulfillment_status", _FULFILLMENT, "any")]
    processed = (time_param(params, "processed_at_min"), time_param(params, "processed_at_max"))
    name = (params.get("name") or "").lstrip("#")

    def matches(r: Record) -> bool:
        d = r.doc
        if status == "open" and (d["closed_at"] or d["cancelled_at"]):
            return False
        if (status == "closed" and not d["closed_at"]) or (status == "cancelled" and not d["cancelled_at"]):
            return False
        if financial is not None and d["financial_status"] not in financial:
            return False
        if fulfillment is not None and d["fulfillment_status"] not in fulfillment:
            return False
        if (processed[0] and r.created < processed[0]) or (processed[1] and r.created > processed[1]):
            return False
        return (not name or d["name"] == f"#{name}") and common(r)

    return matches


def routes(publisher: Callable[[], Publisher]) -> list[Endpoint]:
    def list_orders(store: Store, call: Call) -> Response:
        query = list_query(call, _FILTERS)
        matches = order_filter(query.params)
        if query.params.get("since_id"):
            sort = Sort("id")  # since_id walks ids upwards, whatever the default order
        else:
            sort = _SORTS.get(query.params.get("order") or "created_at desc", _SORTS["created_at desc"])
        return respond_page(call, query, [o for o in store.orders if matches(o)], sort, "orders")

    def count_orders(store: Store, call: Call) -> Response:
        matches = order_filter(call.params)
        return json_response({"count": sum(1 for o in store.orders if matches(o))})

    def get_order(store: Store, call: Call) -> Response:
        record = store.orders.require(call.int_path("id"))
        return json_response({"order": project(record.doc, fields_param(call))})

    def create_order(store: Store, call: Call) -> Response:
        spec, customer_data = read_order(store, call.root())
        if spec.inventory_behaviour == "decrement_obeying_policy":
            problem = stock_problem(store, spec, shipping_location(store, spec.lines))
            if problem:
                raise invalid("line_items", problem)
        events = publisher()
        if customer_data is not None:
            customer_data.setdefault("state", "disabled")
            spec.customer = new_customer(store, customer_data, spec.created)
            events.publish("customers/create", spec.customer.doc)
        if spec.customer is not None and not spec.email:
            spec.email = spec.customer.doc.get("email")
        record, moved = place_order(store, spec)
        announce_new_order(events, record.doc, moved)
        return json_response({"order": record.doc}, 201)

    def update_order(store: Store, call: Call) -> Response:
        record = store.orders.require(call.int_path("id"))
        data = call.root()
        problems = Validation()
        if data.get("email") and "@" not in str(data["email"]):
            problems.add("email", "is invalid")
        if "shipping_address" in data and not isinstance(data["shipping_address"], dict | None):
            problems.add("shipping_address", "is invalid")
        tags = tags_text(data.get("tags"))
        if tags is None:
            problems.add("tags", "is invalid")
        attributes = data.get("note_attributes", [])
        if not isinstance(attributes, list) or not all(isinstance(a, dict) for a in attributes):
            problems.add("note_attributes", "is invalid")
        problems.raise_if_any()
        doc = record.doc
        for name in ("note", "email", "phone"):
            if name in data:
                doc[name] = text_or_none(data[name])
        if "buyer_accepts_marketing" in data:
            doc["buyer_accepts_marketing"] = bool(data["buyer_accepts_marketing"])
        if "note_attributes" in data:
            doc["note_attributes"] = [{"name": text_or_none(a.get("name")), "value": text_or_none(a.get("value"))}
                                      for a in attributes]  # fmt: skip
        if "tags" in data:
            doc["tags"] = tags
        if "shipping_address" in data:
            raw = data["shipping_address"]
            doc["shipping_address"] = address_from_input(raw) if raw else None
        touch(record, store.now())
        publisher().publish("orders/updated", doc)
        return json_response({"order": doc})

    def close_order(store: Store, call: Call) -> Response:
        record = store.orders.require(call.int_path("id"))
        now = store.now()
        record.doc["closed_at"] = timestamp(now)
        touch(record, now)
        publisher().publish("orders/updated", record.doc)
        return json_response({"order": record.doc})

    def open_order(store: Store, call: Call) -> Response:
        record = store.orders.require(call.int_path("id"))
        if record.doc["cancelled_at"]:
            raise unprocessable("A cancelled order cannot be reopened.")
        record.doc["closed_at"] = None
        touch(record, store.now())
        publisher().publish("orders/updated", record.doc)
        return json_response({"order": record.doc})

    def cancel_order(store: Store, call: Call) -> Response:
        record = store.orders.require(call.int_path("id"))
        reason = call.body.get("reason") or "other"
        if reason not in _CANCEL_REASONS:
            raise invalid("reason", "is not included in the list")
        if record.doc["cancelled_at"]:
            raise unprocessable("Order has already been cancelled.")
        if record.doc["fulfillments"]:
            raise unprocessable("Cannot cancel an order that has fulfillments.")
        moved = cancel(store, record, str(reason))
        events = publisher()
        for level in moved:
            events.publish("inventory_levels/update", inventory.level_doc(level))
        events.publish("orders/cancelled", record.doc)
        events.publish("orders/updated", record.doc)
        return json_response({"order": record.doc})

    def create_transaction(store: Store, call: Call) -> Response:
        record = store.orders.require(call.int_path("id"))
        data = call.root()
        kind = data.get("kind")
        if kind not in ("capture", "sale"):
            raise invalid("kind", "is not included in the list")
        if record.doc["financial_status"] not in ("pending", "authorized", "partially_paid"):
            raise unprocessable("The order has nothing left to capture.")
        return json_response({"transaction": capture(store, record, str(kind), publisher())}, 201)

    return [
        Endpoint("GET", "orders.json", list_orders),
        Endpoint("POST", "orders.json", create_order, root="order"),
        Endpoint("GET", "orders/count.json", count_orders),
        Endpoint("GET", "orders/{id:int}.json", get_order),
        Endpoint("PUT", "orders/{id:int}.json", update_order, root="order"),
        Endpoint("POST", "orders/{id:int}/close.json", close_order),
        Endpoint("POST", "orders/{id:int}/open.json", open_order),
        Endpoint("POST", "orders/{id:int}/cancel.json", cancel_order),
        Endpoint("POST", "orders/{id:int}/transactions.json", create_transaction, root="transaction"),
    ]


def announce_new_order(events: Publisher, doc: dict[str, Any], moved: list[Level]) -> None:
    events.publish("orders/create", doc)
    if doc["financial_status"] == "paid":
        events.publish("orders/paid", doc)
    for level in moved:
        events.publish("inventory_levels/update", inventory.level_doc(level))


def cancel(store: Store, record: Record, reason: str, at: datetime | None = None) -> list[Level]:
    """Cancel an unfulfilled order: void or refund it, close it, release its claimed stock."""
    now = at or store.now()
    doc = record.doc
    doc.update(cancelled_at=timestamp(now), cancel_reason=reason, closed_at=timestamp(now))
    doc["financial_status"] = "refunded" if doc["financial_status"] == "paid" else "voided"
    doc["total_outstanding"] = "0.00"
    moved = []
    for li in doc["line_items"]:
        li["fulfillable_quantity"] = 0
        claim = store.commitments.pop(li["id"], None)
        if claim is not None and claim.quantity:
            moved.append(inventory.release(store, claim.inventory_item_id, claim.location_id, claim.quantity))
    for fo in store.fulfillment_orders:
        if fo.doc["order_id"] == record.id:
            fo.doc.update(status="cancelled", supported_actions=[])
            touch(fo, now)
    touch(record, now)
    return moved


def capture(store: Store, record: Record, kind: str, events: Publisher) -> dict[str, Any]:
    """Take the outstanding payment: the order becomes paid and `orders/paid` fires."""
    now = store.now()
    doc = record.doc
    ident = store.new_id("transaction")
    transaction = {
        "id": ident, "order_id": record.id, "kind": kind, "gateway": (doc["payment_gateway_names"] or ["manual"])[0],
        "status": "success", "message": None, "created_at": timestamp(now), "test": False, "authorization": None,
        "location_id": None, "user_id": None, "parent_id": None, "processed_at": timestamp(now), "device_id": None,
        "error_code": None, "source_name": "web", "receipt": {}, "currency": doc["currency"],
        "amount": doc["total_outstanding"], "admin_graphql_api_id": gid("OrderTransaction", ident),
    }  # fmt: skip
    doc["financial_status"] = "paid"
    doc["total_outstanding"] = "0.00"
    touch(record, now)
    events.publish("orders/paid", doc)
    events.publish("orders/updated", doc)
    return transaction
