"""Locations and inventory levels: `locations.json`, `inventory_levels.json`, `set`, `adjust`, `connect`.

Quantities follow Shopify's model: a level has `on_hand` and `committed` units and REST shows
`available = on_hand - committed`. A checkout claims stock (committed up, available down), a
fulfillment ships it (on_hand and committed down, available unchanged), a cancellation releases
what was not shipped (committed down, available back up).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from starlette.responses import Response

from ferry.sandboxes.storefront.errors import ApiError, bad_param, not_found, unprocessable
from ferry.sandboxes.storefront.events import Publisher
from ferry.sandboxes.storefront.formats import gid, timestamp
from ferry.sandboxes.storefront.gate import Call, Endpoint, json_response
from ferry.sandboxes.storefront.paging import Sort, list_query, project, respond_page
from ferry.sandboxes.storefront.query import ids_param, time_param
from ferry.sandboxes.storefront.store import Level, Record, Store

_MAX_IDS = 50
_MAX_QUANTITY = 1_000_000_000


def level_doc(level: Level) -> dict[str, Any]:
    return {
        "inventory_item_id": level.inventory_item_id,
        "location_id": level.location_id,
        "available": level.available,
        "updated_at": timestamp(level.updated),
        # Shopify's id for a level is the location's, qualified by the item.
        "admin_graphql_api_id": f"{gid('InventoryLevel', level.location_id)}?inventory_item_id="
        f"{level.inventory_item_id}",
    }


def _touch(store: Store, level: Level) -> Level:
    level.updated = store.now()
    store.refresh_variant_quantity(level.inventory_item_id)
    return level


def claim(store: Store, item: int, location: int, quantity: int) -> Level:
    level = store.connect(item, location)
    level.committed += quantity
    return _touch(store, level)


def ship(store: Store, item: int, location: int, quantity: int, *, was_claimed: bool) -> Level:
    level = store.connect(item, location)
    level.on_hand -= quantity
    if was_claimed:
        level.committed -= quantity
    return _touch(store, level)


def release(store: Store, item: int, location: int, quantity: int) -> Level:
    level = store.connect(item, location)
    level.committed -= quantity
    return _touch(store, level)


def routes(publisher: Callable[[], Publisher]) -> list[Endpoint]:
    def list_locations(store: Store, call: Call) -> Response:
        docs = [project(r.doc, _fields(call)) for r in store.locations]
        return json_response({"locations": docs})

    def get_location(store: Store, call: Call) -> Response:
        return json_response({"location": project(store.locations.require(call.int_path("id")).doc, _fields(call))})

    def count_locations(store: Store, call: Call) -> Response:
        return json_response({"count": len(store.locations)})

    def location_levels(store: Store, call: Call) -> Response:
        location = store.locations.require(call.int_path("id"))
        query = list_query(call, ())
        rows = [_as_record(lv) for lv in store.levels.values() if lv.location_id == location.id]
        return respond_page(call, query, rows, Sort(), "inventory_levels")

    def list_levels(store: Store, call: Call) -> Response:
        query = list_query(call, ("inventory_item_ids", "location_ids", "updated_at_min"))
        items = ids_param(query.params, "inventory_item_ids")
        locations = ids_param(query.params, "location_ids")
        since = time_param(query.params, "updated_at_min")
        if items is None and locations is None:
            raise unprocessable("inventory_item_ids, location_ids, or both are required")
        for name, ids in (("inventory_item_ids", items), ("location_ids", locations)):
            if ids is not None and len(ids) > _MAX_IDS:
                raise bad_param(name, f"must have no more than {_MAX_IDS} ids")
        rows = [
            _as_record(lv)
            for lv in store.levels.values()
            if (items is None or lv.inventory_item_id in items)
            and (locations is None or lv.location_id in locations)
            and (since is None or lv.updated >= since)
        ]
        return respond_page(call, query, rows, Sort(), "inventory_levels")

    def set_level(store: Store, call: Call) -> Response:
        item, location = _target(store, call)
        available = _int_field(call, "available", _MAX_QUANTITY)
        existed = store.level(item, location) is not None
        level = store.connect(item, location)
        level.on_hand = available + level.committed
        _touch(store, level)
        if not existed:
            publisher().publish("inventory_levels/connect", level_doc(level))
        publisher().publish("inventory_levels/update", level_doc(level))
        return json_response({"inventory_level": level_doc(level)})

    def adjust_level(store: Store, call: Call) -> Response:
        item, location = _target(store, call)
        change = _int_field(call, "available_adjustment", _MAX_QUANTITY)
        level = store.level(item, location)
        if level is None:
            raise unprocessable("Inventory item is not stocked at the location. Connect it to the location first.")
        level.on_hand += change
        _touch(store, level)
        publisher().publish("inventory_levels/update", level_doc(level))
        return json_response({"inventory_level": level_doc(level)})

    def connect_level(store: Store, call: Call) -> Response:
        item, location = _target(store, call)
        existed = store.level(item, location) is not None
        level = store.connect(item, location)
        if not existed:
            publisher().publish("inventory_levels/connect", level_doc(level))
        return json_response({"inventory_level": level_doc(level)}, 200 if existed else 201)

    return [
        Endpoint("GET", "locations.json", list_locations),
        Endpoint("GET", "locations/count.json", count_locations),
        Endpoint("GET", "locations/{id:int}.json", get_location),
        Endpoint("GET", "locations/{id:int}/inventory_levels.json", location_levels),
        Endpoint("GET", "inventory_levels.json", list_levels),
        Endpoint("POST", "inventory_levels/set.json", set_level, root="inventory_item_id"),
        Endpoint("POST", "inventory_levels/adjust.json", adjust_level, root="inventory_item_id"),
        Endpoint("POST", "inventory_levels/connect.json", connect_level, root="inventory_item_id"),
    ]


def _fields(call: Call) -> list[str] | None:
    raw = call.params.get("fields")
    return [f.strip() for f in raw.split(",") if f.strip()] if raw else None


def _as_record(level: Level) -> Record:
    return Record(level.seq, level.updated, level.updated, level_doc(level))


def _int_field(call: Call, name: str, limit: int = 2**63 - 1) -> int:
    value = call.body.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > limit:
        raise ApiError(400, {name: "Required parameter missing or invalid"})
    return value


def _target(store: Store, call: Call) -> tuple[int, int]:
    """The inventory item and location a write names; both must exist."""
    item = _int_field(call, "inventory_item_id")
    location = _int_field(call, "location_id")
    if item not in store.inventory_items or store.locations.get(location) is None:
        raise not_found()
    return item, location


def location_doc(ident: int, created: datetime, *, name: str, address: dict[str, Any]) -> dict[str, Any]:
    """A location as `locations.json` shows it."""
    return {
        "id": ident,
        "name": name,
        "address1": address.get("address1"),
        "address2": address.get("address2"),
        "city": address.get("city"),
        "zip": address.get("zip"),
        "province": address.get("province"),
        "country": address.get("country_code"),
        "phone": address.get("phone"),
        "created_at": timestamp(created),
        "updated_at": timestamp(created),
        "country_code": address.get("country_code"),
        "country_name": address.get("country"),
        "province_code": address.get("province_code"),
        "legacy": False,
        "active": True,
        "admin_graphql_api_id": gid("Location", ident),
        "localized_country_name": address.get("country"),
        "localized_province_name": address.get("province"),
    }
