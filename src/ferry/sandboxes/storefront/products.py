"""Products with variants: `products.json` list/get/count/create/update.

Each variant has its inventory item (1:1, as in Shopify) stocked at the primary location when it is
created; its `inventory_quantity` is the sum of what its levels have available.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from starlette.responses import Response

from ferry.sandboxes.storefront.errors import Validation
from ferry.sandboxes.storefront.events import Publisher
from ferry.sandboxes.storefront.formats import gid, money, parse_money, tags_text, text_or_none, timestamp
from ferry.sandboxes.storefront.gate import Call, Endpoint, json_response
from ferry.sandboxes.storefront.paging import Sort, fields_param, list_query, project, respond_page
from ferry.sandboxes.storefront.query import COMMON_FILTERS, common_predicate
from ferry.sandboxes.storefront.shop import SHOP_NAME
from ferry.sandboxes.storefront.store import Record, Store

STATUSES = ("active", "draft", "archived")
_MAX_AMOUNT = 1_000_000_000
_FILTERS = (*COMMON_FILTERS, "title", "vendor", "handle", "product_type", "status")


def handleize(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "product"


def new_product(store: Store, data: dict[str, Any], created: datetime) -> Record:
    """Store a product from validated input: title, vendor, product_type, tags, status, variants."""
    ident = store.new_id("product")
    variants = data.get("variants") or [{"title": "Default Title", "price": Decimal("0")}]
    option_name = data.get("option_name") or ("Title" if len(variants) == 1 else "Size")
    doc: dict[str, Any] = {
        "id": ident,
        "title": data["title"],
        "body_html": data.get("body_html"),
        "vendor": data.get("vendor") or SHOP_NAME,
        "product_type": data.get("product_type") or "",
        "created_at": timestamp(created),
        "handle": _unique_handle(store, data.get("handle") or handleize(data["title"])),
        "updated_at": timestamp(created),
        "published_at": timestamp(created) if data.get("status", "active") == "active" else None,
        "template_suffix": None,
        "published_scope": "global",
        "tags": data.get("tags") or "",
        "status": data.get("status", "active"),
        "admin_graphql_api_id": gid("Product", ident),
        "variants": [],
        "options": [],
        "images": [],
        "image": None,
    }
    record = store.products.add(Record(ident, created, created, doc))
    for raw in variants:
        add_variant(store, record, raw, created)
    _refresh_options(store, doc, option_name)
    return record


def add_variant(store: Store, product: Record, data: dict[str, Any], created: datetime) -> dict[str, Any]:
    ident, item = store.new_id("variant"), store.new_id("inventory_item")
    title = str(data.get("title") or data.get("option1") or "Default Title")
    weight = Decimal(str(data.get("weight") or "0"))
    variant: dict[str, Any] = {
        "id": ident,
        "product_id": product.id,
        "title": title,
        "price": money(data.get("price") or Decimal(0)),
        "position": len(product.doc["variants"]) + 1,
        "inventory_policy": "deny",
        "compare_at_price": money(data["compare_at_price"]) if data.get("compare_at_price") else None,
        "option1": title,
        "option2": None,
        "option3": None,
        "created_at": timestamp(created),
        "updated_at": timestamp(created),
        "taxable": bool(data.get("taxable", True)),
        "barcode": data.get("barcode"),
        "fulfillment_service": "manual",
        "grams": int(weight * 1000),
        "inventory_management": "shopify",
        "requires_shipping": bool(data.get("requires_shipping", True)),
        "sku": data.get("sku"),
        "weight": float(weight),
        "weight_unit": "kg",
        "inventory_item_id": item,
        "inventory_quantity": 0,
        "old_inventory_quantity": 0,
        "admin_graphql_api_id": gid("ProductVariant", ident),
        "image_id": None,
    }
    product.doc["variants"].append(variant)
    store.variants[ident] = (product.id, variant)
    store.inventory_items[item] = ident
    primary = next(iter(store.locations.rows), None)
    if primary is not None:
        store.connect(item, primary, int(data.get("inventory_quantity") or 0))
    return variant


def validate_product(data: Any, *, creating: bool) -> dict[str, Any]:
    """Check a product body whole; return clean values (money as Decimal) or raise the 422."""
    problems = Validation()
    if not isinstance(data, dict):
        problems.add("product", "Required parameter missing or invalid")
        problems.raise_if_any()
    clean: dict[str, Any] = {}
    if creating or "title" in data:
        title = (text_or_none(data.get("title")) or "").strip()
        if not title:
            problems.add("title", "can't be blank")
        clean["title"] = title
    for name in ("body_html", "vendor", "product_type", "handle"):
        if name in data:
            clean[name] = text_or_none(data[name])
    if "tags" in data:
        clean["tags"] = tags_text(data["tags"])
        if clean["tags"] is None:
            problems.add("tags", "is invalid")
    if "status" in data:
        if not isinstance(data["status"], str) or data["status"] not in STATUSES:
            problems.add("status", "is not included in the list")
        clean["status"] = data["status"]
    if "variants" in data:
        clean["variants"] = _variants(data["variants"], problems)
    problems.raise_if_any()
    return clean


def routes(publisher: Callable[[], Publisher]) -> list[Endpoint]:
    def list_products(store: Store, call: Call) -> Response:
        query = list_query(call, _FILTERS)
        return respond_page(call, query, _filtered(store, query.params), Sort(), "products")

    def count_products(store: Store, call: Call) -> Response:
        return json_response({"count": len(_filtered(store, dict(call.params)))})

    def get_product(store: Store, call: Call) -> Response:
        record = store.products.require(call.int_path("id"))
        return json_response({"product": project(record.doc, fields_param(call))})

    def create_product(store: Store, call: Call) -> Response:
        clean = validate_product(call.root(), creating=True)
        record = new_product(store, clean, store.now())
        publisher().publish("products/create", record.doc)
        return json_response({"product": record.doc}, 201)

    def update_product(store: Store, call: Call) -> Response:
        record = store.products.require(call.int_path("id"))
        clean = validate_product(call.root(), creating=False)
        now = store.now()
        for name in ("title", "body_html", "vendor", "product_type", "tags", "status"):
            if name in clean:
                record.doc[name] = clean[name]
        if "handle" in clean and clean["handle"]:
            record.doc["handle"] = _unique_handle(store, handleize(clean["handle"]), record.id)
        if "variants" in clean:
            _replace_variants(store, record, clean["variants"], now)
        record.updated = now
        record.doc["updated_at"] = timestamp(now)
        publisher().publish("products/update", record.doc)
        return json_response({"product": record.doc})

    return [
        Endpoint("GET", "products.json", list_products),
        Endpoint("POST", "products.json", create_product, root="product"),
        Endpoint("GET", "products/count.json", count_products),
        Endpoint("GET", "products/{id:int}.json", get_product),
        Endpoint("PUT", "products/{id:int}.json", update_product, root="product"),
    ]


def _filtered(store: Store, params: dict[str, str]) -> list[Record]:
    matches = common_predicate(params)
    statuses = set((params.get("status") or "").split(",")) - {""}
    wanted = {k: params[k] for k in ("title", "vendor", "handle", "product_type") if params.get(k)}
    rows = []
    for record in store.products:
        if not matches(record) or (statuses and record.doc["status"] not in statuses):
            continue
        if all(str(record.doc.get(k) or "").lower() == v.lower() for k, v in wanted.items()):
            rows.append(record)
    return rows


def _variants(raw: Any, problems: Validation) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not all(isinstance(v, dict) for v in raw):
        problems.add("variants", "is invalid")
        return []
    clean = []
    for n, v in enumerate(raw, start=1):
        entry: dict[str, Any] = {"id": v.get("id")}
        for name in ("price", "compare_at_price", "weight"):
            if v.get(name) is not None:
                amount = parse_money(v[name])
                if amount is None or amount < 0 or amount > _MAX_AMOUNT:
                    problems.add("variants", f"{name} of variant {n} is not a number")
                entry[name] = amount
        for name in ("title", "option1", "sku", "barcode"):
            if name in v:
                entry[name] = text_or_none(v[name])
        for name in ("taxable", "requires_shipping"):
            if name in v:
                entry[name] = bool(v[name])
        quantity = v.get("inventory_quantity", 0)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or abs(quantity) > _MAX_AMOUNT:
            problems.add("variants", f"inventory_quantity of variant {n} is not an integer")
        entry["inventory_quantity"] = quantity
        clean.append(entry)
    return clean


def _replace_variants(store: Store, product: Record, wanted: list[dict[str, Any]], now: datetime) -> None:
    """Shopify's PUT semantics: listed ids are updated, new entries added, the rest removed."""
    current = {v["id"]: v for v in product.doc["variants"]}
    kept: list[dict[str, Any]] = []
    product.doc["variants"] = []
    for data in wanted:
        variant = current.pop(data["id"], None) if isinstance(data.get("id"), int) else None
        if variant is None:
            variant = add_variant(store, product, data, now)
            product.doc["variants"].remove(variant)
        else:
            for name in ("sku", "barcode", "taxable", "requires_shipping"):
                if name in data:
                    variant[name] = data[name]
            if data.get("price") is not None:
                variant["price"] = money(data["price"])
            if "compare_at_price" in data:
                cap = data["compare_at_price"]
                variant["compare_at_price"] = money(cap) if cap is not None else None
            if data.get("title") or data.get("option1"):
                variant["title"] = variant["option1"] = str(data.get("option1") or data.get("title"))
            variant["updated_at"] = timestamp(now)
        variant["position"] = len(kept) + 1
        kept.append(variant)
    for gone in current.values():
        store.variants.pop(gone["id"], None)
        store.inventory_items.pop(gone["inventory_item_id"], None)
        for key in [k for k in store.levels if k[0] == gone["inventory_item_id"]]:
            del store.levels[key]
    product.doc["variants"] = kept
    _refresh_options(store, product.doc, product.doc["options"][0]["name"] if product.doc["options"] else "Title")


def _refresh_options(store: Store, doc: dict[str, Any], name: str) -> None:
    values = list(dict.fromkeys(v["option1"] for v in doc["variants"]))
    option_id = doc["options"][0]["id"] if doc["options"] else store.new_id("product_option")
    doc["options"] = [{"id": option_id, "product_id": doc["id"], "name": name, "position": 1, "values": values}]


def _unique_handle(store: Store, handle: str, owner: int | None = None) -> str:
    taken = {r.doc["handle"] for r in store.products if r.id != owner}
    candidate, n = handle, 1
    while candidate in taken:
        n += 1
        candidate = f"{handle}-{n}"
    return candidate
