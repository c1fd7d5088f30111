"""Writes to the shop: one request per op (the Admin REST API has no batch), a few at a time.

- customers, products, orders: `POST {plural}.json` creates, `PUT {plural}/{id}.json` updates the
  fields sent (an order takes the fields an integration writes: tags, note, note_attributes, email,
  phone, shipping_address, buyer_accepts_marketing). An upsert looks the record up by its key
  (a customer's email, a product's handle, an order's name) first.
- inventory_levels: every write is `POST inventory_levels/set.json` with `available`, or
  `inventory_levels/adjust.json` with `available_adjustment`; the level is named by its id
  `<inventory_item_id>/<location_id>`, by those two fields, or by a variant's `sku` and `location_id`.
- fulfillments: a create ships an order (all that is left, or the `line_items` given) with its
  tracking; an update changes a fulfillment's tracking. A create first looks for a fulfillment of
  the order with the same tracking number, so a create retried after a crash ships nothing twice.

Shopify has no `If-Match`: a write with `if_match` reads the record and compares its `updated_at`
first (a check, not a lock). Record-level refusals become failed results; failures of the connection
(auth, rate limit, outage) stop the batch and are raised, for the engine to retry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from ferry.connectors.storefront.client import StorefrontClient
from ferry.connectors.storefront.entities import RESOURCES, record_id, to_record
from ferry.connectors.storefront.errors import is_record_level
from ferry.core.errors import ConflictError, FerryError, NotFoundError, ValidationError
from ferry.core.records import WriteKind, WriteOp, WriteResult

#: What an order update may change (Shopify ignores, or refuses, the rest once an order exists).
ORDER_FIELDS = ("tags", "note", "note_attributes", "email", "phone", "shipping_address", "buyer_accepts_marketing")

SkuLookup = Callable[[str], Awaitable[int | None]]


class StorefrontWriter:
    def __init__(self, client: StorefrontClient, sku_lookup: SkuLookup, *, concurrency: int = 4) -> None:
        self.client = client
        self.sku_lookup = sku_lookup
        self.concurrency = concurrency

    async def write(self, ops: Sequence[WriteOp]) -> list[WriteResult]:
        """One result per op, in order; raise the first connection-level failure after in-flight ops end."""
        slots = asyncio.Semaphore(self.concurrency)
        stop: list[FerryError] = []

        async def run(op: WriteOp) -> WriteResult | None:
            async with slots:
                if stop:
                    return None  # the connection failed: leave the rest for the engine's retry
                try:
                    return await self.apply(op)
                except FerryError as exc:
                    if is_record_level(exc):
                        exc.context.setdefault("entity", op.entity)
                        if op.id is not None:
                            exc.context.setdefault("record_id", op.id)
                        return WriteResult(ok=False, id=op.id, error=exc)
                    stop.append(exc)
                    return None

        outcomes = await asyncio.gather(*(run(op) for op in ops), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        if stop:
            raise stop[0]
        return [r for r in outcomes if isinstance(r, WriteResult)]

    async def apply(self, op: WriteOp) -> WriteResult:
        if op.entity == "inventory_levels":
            return await self._inventory(op)
        if op.entity == "fulfillments":
            return await self._fulfillment(op)
        if op.entity not in ("customers", "products", "orders"):
            raise ValidationError(f"The storefront's {op.entity} cannot be written.", entity=op.entity)
        if op.kind is WriteKind.DELETE:
            raise ValidationError(
                f"The storefront connector does not delete {op.entity}; archive or tag them instead.", entity=op.entity
            )
        if op.kind is WriteKind.CREATE:
            return await self._create(op)
        target = op.id
        if target is None and op.key:
            target = await self.lookup(op.entity, op.key)
        if target is None:
            if op.kind is WriteKind.UPSERT:
                return await self._create(op)
            raise NotFoundError(f"No storefront {op.entity} record has {_show(op.key or {})}.", entity=op.entity)
        return await self._update(op, target)

    async def _create(self, op: WriteOp) -> WriteResult:
        resource = RESOURCES[op.entity]
        row = await self.client.send(
            "POST", f"{resource.path}.json", resource.singular, {resource.singular: {**(op.key or {}), **op.data}}
        )
        return _result(op.entity, row, created=True)

    async def _update(self, op: WriteOp, target: str) -> WriteResult:
        resource = RESOURCES[op.entity]
        path = f"{resource.path}/{_segment(target)}.json"
        if op.if_match is not None:
            current = await self.client.get(path, resource.singular)
            if current is None:
                raise NotFoundError(f"The storefront {op.entity} record {target} does not exist.", entity=op.entity)
            if current.get("updated_at") != op.if_match:
                raise ConflictError(
                    f"The storefront {op.entity} record {target} changed at {current.get('updated_at')}, "
                    f"after the version {op.if_match} the write was based on.",
                    entity=op.entity,
                    current_version=str(current.get("updated_at")),
                )
        data = dict(op.data)
        if op.entity == "orders":
            refused = sorted(set(data) - set(ORDER_FIELDS) - {"id"})
            if refused:
                raise ValidationError(
                    f"A storefront order's {', '.join(refused)} cannot be changed through the REST API; "
                    f"only {', '.join(ORDER_FIELDS)}.",
                    field_errors={name: "cannot be changed" for name in refused},
                )
        row = await self.client.send("PUT", path, resource.singular, {resource.singular: {**data, "id": int(target)}})
        return _result(op.entity, row)

    async def lookup(self, entity: str, key: Mapping[str, Any]) -> str | None:
        """The id of the one record whose key fields equal `key`."""
        if any(value in (None, "") for value in key.values()):
            raise ValidationError(f"The key {_show(key)} has an empty value.", entity=entity)
        rows = await self.find_rows(entity, key)
        if len(rows) > 1:
            raise ConflictError(f"More than one storefront {entity} record has {_show(key)}.", entity=entity)
        return record_id(entity, rows[0]) if rows else None

    async def find_rows(self, entity: str, match: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Rows whose fields equal `match`: narrowed on the server where Shopify can, then checked here."""
        resource = RESOURCES[entity]
        path, params = f"{resource.path}.json", dict(resource.list_params)
        params.pop("order", None)
        if entity == "customers" and "email" in match:
            path, params = "customers/search.json", {"query": f'email:"{match["email"]}"'}
        else:
            if "id" in match:
                params["ids"] = str(match["id"])
            if entity == "products":
                params.update({k: str(match[k]) for k in ("handle", "title", "vendor", "product_type") if k in match})
            elif entity == "orders" and "name" in match:
                params["name"] = str(match["name"])
        found: list[dict[str, Any]] = []
        async for rows in self.client.pages(path, resource.plural, {**params, "limit": "250"}):
            found += [row for row in rows if all(_equal(row.get(k), v) for k, v in match.items())]
        return found

    # --- inventory ---------------------------------------------------------------------------------

    async def _inventory(self, op: WriteOp) -> WriteResult:
        if op.kind is WriteKind.DELETE:
            raise ValidationError("The storefront connector does not disconnect inventory levels.")
        item, location = await self._level_target(op)
        body: dict[str, Any] = {"inventory_item_id": item, "location_id": location}
        if "available_adjustment" in op.data:
            body["available_adjustment"] = _quantity(op.data["available_adjustment"], "available_adjustment")
            row = await self.client.send("POST", "inventory_levels/adjust.json", "inventory_level", body)
        else:
            if "available" not in op.data:
                raise ValidationError(
                    "An inventory level write needs `available` (or `available_adjustment`).",
                    field_errors={"available": "is required"},
                )
            body["available"] = _quantity(op.data["available"], "available")
            row = await self.client.send("POST", "inventory_levels/set.json", "inventory_level", body)
        return _result("inventory_levels", row, created=op.kind is WriteKind.CREATE)

    async def _level_target(self, op: WriteOp) -> tuple[int, int]:
        named = {**op.data, **(op.key or {})}
        if op.id is not None:
            item_text, _, location_text = op.id.partition("/")
            named.setdefault("inventory_item_id", item_text)
            named.setdefault("location_id", location_text)
        if named.get("inventory_item_id") in (None, "") and named.get("sku"):
            found = await self.sku_lookup(str(named["sku"]))
            if found is None:
                raise NotFoundError(f"No storefront variant has the SKU {named['sku']!r}.", sku=named["sku"])
            named["inventory_item_id"] = found
        try:
            return int(named["inventory_item_id"]), int(named["location_id"])
        except (KeyError, TypeError, ValueError):
            raise ValidationError(
                "An inventory level is named by its id `<inventory_item_id>/<location_id>`, by those two fields, "
                "or by `sku` and `location_id`.",
                field_errors={"inventory_item_id": "is required", "location_id": "is required"},
            ) from None

    # --- fulfillments ------------------------------------------------------------------------------

    async def _fulfillment(self, op: WriteOp) -> WriteResult:
        if op.kind is WriteKind.DELETE:
            raise ValidationError("The storefront connector does not cancel fulfillments.")
        if op.kind is WriteKind.UPDATE and op.id is not None:
            return await self._update_tracking(op.id, op.data)
        data = {**(op.key or {}), **op.data}
        order_id = data.get("order_id")
        if order_id in (None, ""):
            raise ValidationError(
                "A fulfillment needs the order_id of the order it ships.", field_errors={"order_id": "is required"}
            )
        order = _segment(str(order_id))
        number = data.get("tracking_number")
        if number:
            async for rows in self.client.pages(f"orders/{order}/fulfillments.json", "fulfillments", {"limit": "250"}):
                for row in rows:
                    if row.get("tracking_number") == number:
                        return _result("fulfillments", row)  # an earlier attempt shipped it
        groups = await self._shipment(order, data.get("line_items"))
        body: dict[str, Any] = {"line_items_by_fulfillment_order": groups, "tracking_info": _tracking(data)}
        if "notify_customer" in data:
            body["notify_customer"] = bool(data["notify_customer"])
        row = await self.client.send("POST", "fulfillments.json", "fulfillment", {"fulfillment": body})
        return _result("fulfillments", row, created=True)

    async def _shipment(self, order: str, wanted: Any) -> list[dict[str, Any]]:
        """`line_items_by_fulfillment_order` for the order's lines (all that is left when `wanted` is empty)."""
        response = await self.client.send_get(f"orders/{order}/fulfillment_orders.json")
        orders = [fo for fo in response.get("fulfillment_orders") or [] if fo.get("status") in ("open", "in_progress")]
        if not wanted:
            groups = [
                {"fulfillment_order_id": fo["id"]}
                for fo in orders
                if any(ln.get("fulfillable_quantity") for ln in fo.get("line_items") or [])
            ]
        else:
            if not isinstance(wanted, list) or not all(isinstance(w, dict) for w in wanted):
                raise ValidationError(
                    "A fulfillment's line_items are a list of {id, quantity}.",
                    field_errors={"line_items": "is invalid"},
                )
            by_line = {ln.get("line_item_id"): (fo["id"], ln) for fo in orders for ln in fo.get("line_items") or []}
            chosen: dict[int, list[dict[str, Any]]] = {}
            for w in wanted:
                entry = by_line.get(_int(w.get("id")))
                if entry is None:
                    raise ValidationError(
                        f"The order has no line {w.get('id')} left to fulfill.",
                        field_errors={"line_items": f"unknown or fulfilled line {w.get('id')}"},
                    )
                fo_id, line = entry
                quantity = _int(w.get("quantity")) or line.get("fulfillable_quantity")
                chosen.setdefault(fo_id, []).append({"id": line["id"], "quantity": quantity})
            groups = [
                {"fulfillment_order_id": fo, "fulfillment_order_line_items": lines} for fo, lines in chosen.items()
            ]
        if not groups:
            raise ValidationError(f"Storefront order {order} has nothing left to fulfill.", order_id=order)
        return groups

    async def _update_tracking(self, fulfillment_id: str, data: Mapping[str, Any]) -> WriteResult:
        target = fulfillment_id.rpartition("/")[2]
        change: dict[str, Any] = {"tracking_info": _tracking(data)}
        if "notify_customer" in data:
            change["notify_customer"] = bool(data["notify_customer"])
        path = f"fulfillments/{_segment(target)}/update_tracking.json"
        row = await self.client.send("POST", path, "fulfillment", {"fulfillment": change})
        return _result("fulfillments", row)


def _tracking(data: Mapping[str, Any]) -> dict[str, Any]:
    """Shopify's `tracking_info` (one number, company and URL) from the record's tracking fields."""
    urls = data.get("tracking_urls") or []
    url = data.get("tracking_url") or (urls[0] if isinstance(urls, list) and urls else None)
    info = {"number": data.get("tracking_number"), "company": data.get("tracking_company"), "url": url}
    return {k: v for k, v in info.items() if v not in (None, "")}


def _result(entity: str, row: dict[str, Any], *, created: bool = False) -> WriteResult:
    record = to_record(entity, row)
    return WriteResult(ok=True, id=record.id, version=record.version, created=created, record=record)


def _quantity(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError(f"`{name}` must be a whole number.", field_errors={name: "is not an integer"})
    try:
        return int(value)
    except ValueError:
        raise ValidationError(f"`{name}` must be a whole number.", field_errors={name: "is not an integer"}) from None


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def _equal(found: Any, wanted: Any) -> bool:
    if isinstance(found, str) and isinstance(wanted, str):
        return found.lower() == wanted.lower() if "@" in wanted else found == wanted
    return str(found) == str(wanted)


def _segment(value: str) -> str:
    return quote(value, safe="")


def _show(key: Mapping[str, Any]) -> str:
    return ", ".join(f"{name}={value!r}" for name, value in key.items())
