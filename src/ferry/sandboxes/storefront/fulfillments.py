"""Fulfillment orders and fulfillments, as in the 2025-07 REST model.

Placing an order opens one fulfillment order at the location chosen to ship it. A fulfillment
(`POST fulfillments.json`) ships quantities of fulfillment-order lines with one tracking number; it
moves the order's `fulfillment_status` from null to `partial` to `fulfilled` and ships the stock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from starlette.responses import Response

from ferry.sandboxes.storefront import inventory
from ferry.sandboxes.storefront.errors import ApiError, missing_root, not_found, unprocessable
from ferry.sandboxes.storefront.events import Publisher
from ferry.sandboxes.storefront.formats import gid, timestamp
from ferry.sandboxes.storefront.gate import Call, Endpoint, json_response
from ferry.sandboxes.storefront.paging import Sort, fields_param, list_query, project, respond_page
from ferry.sandboxes.storefront.query import COMMON_FILTERS, common_predicate
from ferry.sandboxes.storefront.store import Level, Record, Store, touch

_TRACKING_URLS = {
    "UPS": "https://www.ups.com/WebTracking?loc=en_US&requester=ST&trackNums={}",
    "USPS": "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
    "FedEx": "https://www.fedex.com/fedextrack/?trknbr={}",
    "DHL Express": "https://www.dhl.com/en/express/tracking.html?AWB={}&brand=DHL",
    "Canada Post": "https://www.canadapost-postescanada.ca/track-reperer/en#/details/{}",
}
#: (fulfillment order, [(its line, quantity)]) pairs to ship in one fulfillment.
Shipment = list[tuple[Record, list[tuple[dict[str, Any], int]]]]


def open_fulfillment_order(store: Store, order: Record, location: Record, created: datetime) -> Record:
    ident = store.new_id("fulfillment_order")
    lines = [
        {
            "id": store.new_id("fulfillment_order_line_item"),
            "shop_id": store.shop["id"],
            "fulfillment_order_id": ident,
            "quantity": li["quantity"],
            "line_item_id": li["id"],
            "inventory_item_id": _inventory_item(store, li),
            "fulfillable_quantity": li["quantity"],
            "variant_id": li["variant_id"],
        }
        for li in order.doc["line_items"]
        if li["requires_shipping"]
    ]
    ship_to = order.doc.get("shipping_address") or {}
    doc: dict[str, Any] = {
        "id": ident,
        "shop_id": store.shop["id"],
        "order_id": order.id,
        "assigned_location_id": location.id,
        "request_status": "unsubmitted",
        "status": "open",
        "fulfill_at": timestamp(created),
        "fulfill_by": None,
        "supported_actions": ["create_fulfillment", "move"],
        "destination": {
            k: ship_to.get(k)
            for k in (
                "address1",
                "address2",
                "city",
                "company",
                "country",
                "first_name",
                "last_name",
                "phone",
                "province",
                "zip",
            )
        }
        | {"email": order.doc["email"]},  # fmt: skip
        "line_items": lines,
        "international_duties": None,
        "fulfillment_holds": [],
        "delivery_method": {"method_type": "shipping", "min_delivery_date_time": None, "max_delivery_date_time": None},
        "created_at": timestamp(created),
        "updated_at": timestamp(created),
        "assigned_location": {
            k: location.doc.get(k)
            for k in ("address1", "address2", "city", "country_code", "name", "phone", "province", "zip")
        }
        | {"location_id": location.id},  # fmt: skip
        "merchant_requests": [],
    }
    return store.fulfillment_orders.add(Record(ident, created, created, doc))


def create_fulfillment(
    store: Store, order: Record, shipment: Shipment, tracking: dict[str, Any], now: datetime
) -> tuple[Record, list[Level]]:
    """Ship validated quantities; return the fulfillment and the levels whose `available` moved."""
    order_lines = {li["id"]: li for li in order.doc["line_items"]}
    shipped: dict[int, int] = {}
    moved: list[Level] = []
    location_id = shipment[0][0].doc["assigned_location_id"]
    for fo, lines in shipment:
        for line, quantity in lines:
            line["fulfillable_quantity"] -= quantity
            shipped[line["line_item_id"]] = shipped.get(line["line_item_id"], 0) + quantity
            moved += _ship_stock(store, line, quantity, fo.doc["assigned_location_id"])
        remaining = sum(ln["fulfillable_quantity"] for ln in fo.doc["line_items"])
        fo.doc["status"] = "closed" if remaining == 0 else "in_progress"
        fo.doc["supported_actions"] = [] if remaining == 0 else ["create_fulfillment"]
        touch(fo, now)
    for line_id, quantity in shipped.items():
        li = order_lines[line_id]
        li["fulfillable_quantity"] -= quantity
        li["fulfillment_status"] = "fulfilled" if li["fulfillable_quantity"] == 0 else "partial"
    ident = store.new_id("fulfillment")
    number = tracking.get("number")
    company = tracking.get("company")
    url = tracking.get("url") or (
        _TRACKING_URLS[company].format(number) if number and company in _TRACKING_URLS else None
    )
    doc: dict[str, Any] = {
        "id": ident,
        "order_id": order.id,
        "status": "success",
        "created_at": timestamp(now),
        "service": "manual",
        "updated_at": timestamp(now),
        "tracking_company": company,
        "shipment_status": None,
        "location_id": location_id,
        "origin_address": None,
        "line_items": [dict(order_lines[i], quantity=q) for i, q in shipped.items()],
        "tracking_number": number,
        "tracking_numbers": [number] if number else [],
        "tracking_url": url,
        "tracking_urls": [url] if url else [],
        "receipt": {},
        "name": f"{order.doc['name']}.{len(order.doc['fulfillments']) + 1}",
        "admin_graphql_api_id": gid("Fulfillment", ident),
    }
    record = store.fulfillments.add(Record(ident, now, now, doc))
    order.doc["fulfillments"].append(doc)
    unfulfilled = sum(li["fulfillable_quantity"] for li in order.doc["line_items"] if li["requires_shipping"])
    order.doc["fulfillment_status"] = "fulfilled" if unfulfilled == 0 else "partial"
    touch(order, now)
    return record, moved


def _ship_stock(store: Store, line: dict[str, Any], quantity: int, location_id: int) -> list[Level]:
    item = line["inventory_item_id"]
    if item is None or item not in store.inventory_items:
        return []
    claim = store.commitments.get(line["line_item_id"])
    claimed = min(quantity, claim.quantity) if claim else 0
    if claim and claimed:
        claim.quantity -= claimed
        inventory.ship(store, item, claim.location_id, claimed, was_claimed=True)
    if quantity - claimed:
        # Stock nobody claimed at checkout leaves `available` as it ships.
        return [inventory.ship(store, item, location_id, quantity - claimed, was_claimed=False)]
    return []


def _inventory_item(store: Store, line: dict[str, Any]) -> int | None:
    variant = store.variant(line["variant_id"]) if line.get("variant_id") else None
    return variant[1]["inventory_item_id"] if variant else None


def parse_shipment(store: Store, data: dict[str, Any]) -> tuple[Record, Shipment]:
    """Validate `line_items_by_fulfillment_order` whole; return the order and what to ship."""
    groups = data.get("line_items_by_fulfillment_order")
    if not isinstance(groups, list) or not groups or not all(isinstance(g, dict) for g in groups):
        raise ApiError(400, {"line_items_by_fulfillment_order": "Required parameter missing or invalid"})
    shipment: Shipment = []
    for group in groups:
        fo_id = group.get("fulfillment_order_id")
        fo = store.fulfillment_orders.get(fo_id) if isinstance(fo_id, int) else None
        if fo is None:
            raise not_found()
        if fo.doc["status"] not in ("open", "in_progress"):
            raise unprocessable(f"Fulfillment order {fo.id} has an unfulfillable status= {fo.doc['status']}.")
        by_id = {ln["id"]: ln for ln in fo.doc["line_items"]}
        wanted = group.get("fulfillment_order_line_items")
        if not wanted:
            lines = [(ln, ln["fulfillable_quantity"]) for ln in fo.doc["line_items"] if ln["fulfillable_quantity"]]
        elif isinstance(wanted, list) and all(isinstance(w, dict) for w in wanted):
            lines = []
            for w in wanted:
                line, quantity = by_id.get(w.get("id")), w.get("quantity")
                if line is None:
                    raise unprocessable("Invalid fulfillment order line item id requested.")
                if (
                    isinstance(quantity, bool)
                    or not isinstance(quantity, int)
                    or not 0 < quantity <= line["fulfillable_quantity"]
                ):
                    raise unprocessable("Invalid fulfillment order line item quantity requested.")
                lines.append((line, quantity))
        else:
            raise ApiError(400, {"fulfillment_order_line_items": "Required parameter missing or invalid"})
        if not lines:
            raise unprocessable(f"Fulfillment order {fo.id} has no line items left to fulfill.")
        shipment.append((fo, lines))
    orders = {fo.doc["order_id"] for fo, _ in shipment}
    if len(orders) > 1:
        raise unprocessable("All fulfillment orders must belong to the same order.")
    return store.orders.require(orders.pop()), shipment


def _tracking(data: dict[str, Any]) -> dict[str, Any]:
    info = data.get("tracking_info") or {}
    if not isinstance(info, dict):
        raise ApiError(400, {"tracking_info": "Required parameter missing or invalid"})
    return {k: (str(info[k]) if info.get(k) is not None else None) for k in ("number", "company", "url")}


def routes(publisher: Callable[[], Publisher]) -> list[Endpoint]:
    def order_fulfillment_orders(store: Store, call: Call) -> Response:
        order = store.orders.require(call.int_path("id"))
        docs = [fo.doc for fo in store.fulfillment_orders if fo.doc["order_id"] == order.id]
        return json_response({"fulfillment_orders": docs})

    def get_fulfillment_order(store: Store, call: Call) -> Response:
        return json_response({"fulfillment_order": store.fulfillment_orders.require(call.int_path("id")).doc})

    def order_fulfillments(store: Store, call: Call) -> Response:
        order = store.orders.require(call.int_path("id"))
        query = list_query(call, COMMON_FILTERS)
        matches = common_predicate(query.params)
        rows = [f for f in store.fulfillments if f.doc["order_id"] == order.id and matches(f)]
        return respond_page(call, query, rows, Sort(), "fulfillments")

    def count_order_fulfillments(store: Store, call: Call) -> Response:
        order = store.orders.require(call.int_path("id"))
        return json_response({"count": sum(1 for f in store.fulfillments if f.doc["order_id"] == order.id)})

    def get_order_fulfillment(store: Store, call: Call) -> Response:
        found = store.fulfillments.require(call.int_path("fid"))
        if found.doc["order_id"] != call.int_path("id"):
            raise not_found()
        return json_response({"fulfillment": project(found.doc, fields_param(call))})

    def post_fulfillment(store: Store, call: Call) -> Response:
        data = call.root()
        tracking = _tracking(data)
        order, shipment = parse_shipment(store, data)
        if order.doc["cancelled_at"]:
            raise unprocessable("Cannot fulfill a cancelled order.")
        record, moved = create_fulfillment(store, order, shipment, tracking, store.now())
        events = publisher()
        events.publish("fulfillments/create", record.doc)
        for level in moved:
            events.publish("inventory_levels/update", inventory.level_doc(level))
        events.publish("orders/updated", order.doc)
        done = order.doc["fulfillment_status"] == "fulfilled"
        events.publish("orders/fulfilled" if done else "orders/partially_fulfilled", order.doc)
        return json_response({"fulfillment": record.doc}, 201)

    def update_tracking(store: Store, call: Call) -> Response:
        record = store.fulfillments.require(call.int_path("id"))
        data = call.root()
        if "tracking_info" not in data:
            raise missing_root("tracking_info")
        tracking = _tracking(data)
        doc = record.doc
        number, company = tracking["number"], tracking["company"] or doc["tracking_company"]
        url = tracking["url"] or (
            _TRACKING_URLS[company].format(number) if number and company in _TRACKING_URLS else None
        )
        doc.update(tracking_company=company, tracking_number=number, tracking_url=url)
        doc.update(tracking_numbers=[number] if number else [], tracking_urls=[url] if url else [])
        touch(record, store.now())
        publisher().publish("fulfillments/update", doc)
        return json_response({"fulfillment": doc})

    return [
        Endpoint("GET", "orders/{id:int}/fulfillment_orders.json", order_fulfillment_orders),
        Endpoint("GET", "fulfillment_orders/{id:int}.json", get_fulfillment_order),
        Endpoint("GET", "orders/{id:int}/fulfillments.json", order_fulfillments),
        Endpoint("GET", "orders/{id:int}/fulfillments/count.json", count_order_fulfillments),
        Endpoint("GET", "orders/{id:int}/fulfillments/{fid:int}.json", get_order_fulfillment),
        Endpoint("POST", "fulfillments.json", post_fulfillment, root="fulfillment"),
        Endpoint("POST", "fulfillments/{id:int}/update_tracking.json", update_tracking, root="fulfillment"),
    ]
