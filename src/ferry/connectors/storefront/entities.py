"""The storefront's entities, their fields and keys, and how a Shopify resource becomes a `Record`.

Shopify serves no REST metadata, so the schemas follow the Admin REST reference for the fields an
integration reads and writes. Entity names are the REST resources' plural names. Money stays the
exact decimal strings Shopify sends; ids are 64-bit integers, carried as text in `Record.id`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ferry.connectors.contract import EntitySchema, FieldSchema, FieldType
from ferry.connectors.storefront.client import parse_time
from ferry.core.records import Record

#: An inventory level has no id of its own: it is its item at its location, `<item>/<location>`.
LEVEL_ID = "inventory_item_id/location_id"


@dataclass(frozen=True, slots=True)
class Resource:
    """Where an entity lives on the wire."""

    #: `customers.json`, `orders.json`...
    path: str
    #: The plural root of a list (`customers`) and the singular of one record (`customer`).
    plural: str
    singular: str
    #: Parameters every list of it needs (orders: `status=any`, or closed ones are hidden).
    list_params: Mapping[str, str]
    #: Whether the list can be ordered by `updated_at` (only orders can): then paging follows change order.
    ordered_by_update: bool = False


RESOURCES: dict[str, Resource] = {
    "customers": Resource("customers", "customers", "customer", {}),
    "orders": Resource("orders", "orders", "order", {"status": "any", "order": "updated_at asc"}, True),
    "products": Resource("products", "products", "product", {}),
    "inventory_levels": Resource("inventory_levels", "inventory_levels", "inventory_level", {}),
    "locations": Resource("locations", "locations", "location", {}),
    "fulfillments": Resource("fulfillments", "fulfillments", "fulfillment", {}),
}


def _f(name: str, kind: FieldType = "string", **options: Any) -> FieldSchema:
    return FieldSchema(name, kind, **options)


def _ro(name: str, kind: FieldType = "string") -> FieldSchema:
    return FieldSchema(name, kind, read_only=True)


def _ref(name: str, target: str, *, required: bool = False, read_only: bool = False) -> FieldSchema:
    return FieldSchema(name, "reference", required=required, read_only=read_only, references=target)


def _choice(name: str, values: tuple[str, ...], *, read_only: bool = False) -> FieldSchema:
    return FieldSchema(name, "choice", read_only=read_only, choices={v: v for v in values})


def _schema(
    name: str, id_field: str, *fields: FieldSchema, keys: tuple[tuple[str, ...], ...] = (), incremental: bool = True
) -> EntitySchema:
    stamped = (_ro("created_at", "datetime"), _ro("updated_at", "datetime"))
    every = (*fields, *stamped) if id_field == LEVEL_ID else (_ro(id_field, "integer"), *fields, *stamped)
    return EntitySchema(name, id_field, {f.name: f for f in every}, keys=keys, incremental=incremental)


FINANCIAL = ("pending", "authorized", "partially_paid", "paid", "partially_refunded", "refunded", "voided")

SCHEMAS: dict[str, EntitySchema] = {
    s.name: s
    for s in (
        _schema(
            "customers",
            "id",
            _f("email", max_length=255),
            _f("first_name"),
            _f("last_name"),
            _f("phone"),
            _f("note"),
            _f("tags"),
            _f("tax_exempt", "boolean"),
            _choice("state", ("disabled", "invited", "enabled", "declined"), read_only=True),
            _ro("currency"),
            _ro("orders_count", "integer"),
            _ro("total_spent", "decimal"),
            _f("addresses", "list"),
            _ro("default_address", "object"),
            _f("email_marketing_consent", "object"),
            keys=(("email",),),
        ),
        _schema(
            "orders",
            "id",
            _ro("name"),
            _ro("order_number", "integer"),
            _f("email"),
            _f("phone"),
            _f("note"),
            _f("tags"),
            _f("note_attributes", "list"),
            _f("buyer_accepts_marketing", "boolean"),
            _f("shipping_address", "object"),
            _f("billing_address", "object"),
            _ref("customer", "customers"),
            FieldSchema("line_items", "list", required=True),
            _ro("shipping_lines", "list"),
            _ro("currency"),
            _ro("total_price", "decimal"),
            _ro("subtotal_price", "decimal"),
            _ro("total_tax", "decimal"),
            _ro("total_discounts", "decimal"),
            _choice("financial_status", FINANCIAL, read_only=True),
            _choice("fulfillment_status", ("partial", "fulfilled"), read_only=True),
            _ro("processed_at", "datetime"),
            _ro("cancelled_at", "datetime"),
            _ro("closed_at", "datetime"),
            _ro("fulfillments", "list"),
            keys=(("name",),),
        ),
        _schema(
            "products",
            "id",
            FieldSchema("title", "string", required=True),
            _f("body_html"),
            _f("vendor"),
            _f("product_type"),
            _f("handle"),
            _f("tags"),
            _choice("status", ("active", "draft", "archived")),
            _f("variants", "list"),  # [{id, sku, price, inventory_item_id, inventory_quantity, ...}]
            _ro("options", "list"),
            keys=(("handle",),),
        ),
        _schema(
            "inventory_levels",
            LEVEL_ID,
            _ref("inventory_item_id", "inventory_items", required=True),
            _ref("location_id", "locations", required=True),
            FieldSchema("available", "integer", required=True),
            _f("sku"),  # not Shopify's: a write may name the item by its variant's SKU instead
            keys=(("inventory_item_id", "location_id"), ("sku", "location_id")),
        ),
        _schema(
            "locations",
            "id",
            _ro("name"),
            _ro("address1"),
            _ro("city"),
            _ro("zip"),
            _ro("province_code"),
            _ro("country_code"),
            _ro("active", "boolean"),
            incremental=False,
        ),
        _schema(
            "fulfillments",
            "id",
            _ref("order_id", "orders", required=True),
            _ref("location_id", "locations", read_only=True),
            _f("tracking_number"),
            _f("tracking_company"),
            _f("tracking_url"),
            _f("tracking_urls", "list"),
            _f("line_items", "list"),  # to ship part of an order: [{id: order line id, quantity}]
            _f("notify_customer", "boolean"),
            _ro("status"),
            _ro("name"),
        ),
    )
}


def record_id(entity: str, row: Mapping[str, Any]) -> str:
    """The id ferry uses for a row: its `id`, or `<inventory_item_id>/<location_id>` for a level."""
    if entity == "inventory_levels":
        return f"{row.get('inventory_item_id')}/{row.get('location_id')}"
    return str(row.get("id"))


def to_record(entity: str, row: dict[str, Any], *, deleted: bool = False) -> Record:
    """A Shopify resource as a `Record`: `version` and `modified_at` are its `updated_at`."""
    updated = row.get("updated_at")
    return Record(
        entity=entity,
        id=record_id(entity, row),
        data=row,
        version=updated if isinstance(updated, str) else None,
        modified_at=parse_time(updated),
        deleted=deleted,
    )
