"""Customers: `customers.json` list/get/count/create/update and `customers/search.json`."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from starlette.responses import Response

from ferry.sandboxes.storefront.errors import Validation
from ferry.sandboxes.storefront.events import Publisher
from ferry.sandboxes.storefront.formats import ADDRESS_FIELDS, gid, money, tags_text, text_or_none, timestamp
from ferry.sandboxes.storefront.gate import Call, Endpoint, json_response
from ferry.sandboxes.storefront.paging import Sort, fields_param, list_query, project, respond_page
from ferry.sandboxes.storefront.query import COMMON_FILTERS, common_predicate
from ferry.sandboxes.storefront.shop import CURRENCY
from ferry.sandboxes.storefront.store import Record, Store

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SUMMARY_FIELDS = (
    "id", "email", "created_at", "updated_at", "first_name", "last_name", "state", "note", "verified_email",
    "multipass_identifier", "tax_exempt", "phone", "email_marketing_consent", "sms_marketing_consent", "tags",
    "currency", "tax_exemptions", "admin_graphql_api_id", "default_address",
)  # fmt: skip


def normalise_phone(raw: str) -> str | None:
    """E.164 as Shopify stores it (`+16135550142`), or None when it cannot be one."""
    digits = re.sub(r"\D", "", raw)
    if raw.strip().startswith("+"):
        return f"+{digits}" if 8 <= len(digits) <= 15 else None
    if len(digits) == 10:
        return f"+1{digits}"
    if len(digits) == 11 and digits.startswith("1"):
        return f"+{digits}"
    return None


def customer_summary(doc: dict[str, Any]) -> dict[str, Any]:
    """The customer as embedded in an order."""
    return {k: doc.get(k) for k in _SUMMARY_FIELDS}


def new_customer(store: Store, data: dict[str, Any], created: datetime) -> Record:
    """Store a customer from already-validated input (used by the API, checkout and seeding)."""
    ident = store.new_id("customer")
    email = data.get("email")
    consent = data.get("email_marketing_consent")
    doc: dict[str, Any] = {
        "id": ident,
        "email": email,
        "created_at": timestamp(created),
        "updated_at": timestamp(created),
        "first_name": data.get("first_name"),
        "last_name": data.get("last_name"),
        "orders_count": 0,
        "state": data.get("state", "disabled"),
        "total_spent": "0.00",
        "last_order_id": None,
        "note": data.get("note"),
        "verified_email": bool(data.get("verified_email", email is not None)),
        "multipass_identifier": None,
        "tax_exempt": bool(data.get("tax_exempt", False)),
        "tags": _tags(data.get("tags")),
        "last_order_name": None,
        "currency": CURRENCY,
        "phone": data.get("phone"),
        "addresses": [],
        "tax_exemptions": [],
        "email_marketing_consent": _consent(consent, created) if email else None,
        "sms_marketing_consent": None,
        "admin_graphql_api_id": gid("Customer", ident),
        "default_address": None,
    }
    record = store.customers.add(Record(ident, created, created, doc))
    for raw in data.get("addresses") or []:
        _add_address(store, doc, raw)
    if email:
        store.emails[email.lower()] = ident
    return record


def record_order(customer: Record, order: dict[str, Any], total: Decimal) -> None:
    """Keep the customer's order statistics in step with a new order."""
    doc = customer.doc
    doc["orders_count"] += 1
    doc["total_spent"] = money(Decimal(doc["total_spent"]) + total)
    doc["last_order_id"] = order["id"]
    doc["last_order_name"] = order["name"]


def validate_customer(store: Store, data: Any, *, existing: Record | None = None) -> dict[str, Any]:
    """Check a customer body whole; return the clean values or raise Shopify's 422."""
    problems = Validation()
    if not isinstance(data, dict):
        problems.add("customer", "Required parameter missing or invalid")
        problems.raise_if_any()
    clean: dict[str, Any] = {}
    for name in ("first_name", "last_name", "note"):
        if name in data:
            clean[name] = (text_or_none(data[name]) or "").strip() or None
    if "email" in data:
        email = str(data["email"]).strip() if data["email"] else None
        owner = store.emails.get(email.lower()) if email else None
        if email and not _EMAIL.match(email):
            problems.add("email", "is invalid")
        elif owner is not None and (existing is None or owner != existing.id):
            problems.add("email", "has already been taken")
        clean["email"] = email
    if data.get("phone"):
        phone = normalise_phone(str(data["phone"]))
        taken = any(c.doc.get("phone") == phone and c is not existing for c in store.customers) if phone else False
        if phone is None:
            problems.add("phone", "is invalid")
        elif taken:
            problems.add("phone", "has already been taken")
        clean["phone"] = phone
    for name in ("tax_exempt", "verified_email"):
        if name in data:
            clean[name] = bool(data[name])
    if "tags" in data:
        clean["tags"] = tags_text(data["tags"])
        if clean["tags"] is None:
            problems.add("tags", "is invalid")
    if "email_marketing_consent" in data:
        clean["email_marketing_consent"] = data["email_marketing_consent"]
    if "addresses" in data:
        addresses = data["addresses"]
        if not isinstance(addresses, list) or not all(isinstance(a, dict) for a in addresses):
            problems.add("addresses", "is invalid")
        clean["addresses"] = addresses
    if existing is None and not any(clean.get(k) for k in ("first_name", "last_name", "email", "phone")):
        problems.add("customer", "must have a name, phone number or email address")
    problems.raise_if_any()
    return clean


def routes(publisher: Callable[[], Publisher]) -> list[Endpoint]:
    def list_customers(store: Store, call: Call) -> Response:
        query = list_query(call, COMMON_FILTERS)
        matches = common_predicate(query.params)
        return respond_page(call, query, [c for c in store.customers if matches(c)], Sort(), "customers")

    def count_customers(store: Store, call: Call) -> Response:
        matches = common_predicate(call.params)
        return json_response({"count": sum(1 for c in store.customers if matches(c))})

    def get_customer(store: Store, call: Call) -> Response:
        record = store.customers.require(call.int_path("id"))
        return json_response({"customer": project(record.doc, fields_param(call))})

    def search_customers(store: Store, call: Call) -> Response:
        query = list_query(call, ("query",))
        wanted = _search_terms(query.params.get("query", ""))
        rows = [c for c in store.customers if all(term(c.doc) for term in wanted)]
        return respond_page(call, query, rows, Sort(), "customers")

    def create_customer(store: Store, call: Call) -> Response:
        clean = validate_customer(store, call.root())
        clean.setdefault("state", "disabled")
        record = new_customer(store, clean, store.now())
        publisher().publish("customers/create", record.doc)
        return json_response({"customer": record.doc}, 201)

    def update_customer(store: Store, call: Call) -> Response:
        record = store.customers.require(call.int_path("id"))
        clean = validate_customer(store, call.root(), existing=record)
        doc = record.doc
        old_email = doc.get("email")
        for name in ("first_name", "last_name", "note", "email", "phone", "verified_email", "tax_exempt"):
            if name in clean:
                doc[name] = clean[name]
        if "tags" in clean:
            doc["tags"] = _tags(clean["tags"])
        if "email_marketing_consent" in clean:
            doc["email_marketing_consent"] = _consent(clean["email_marketing_consent"], store.now())
        if old_email != doc.get("email"):
            if old_email:
                store.emails.pop(old_email.lower(), None)
            if doc.get("email"):
                store.emails[doc["email"].lower()] = record.id
        if "addresses" in clean:
            doc["addresses"], doc["default_address"] = [], None
            for raw in clean["addresses"]:
                _add_address(store, doc, raw)
        record.updated = store.now()
        doc["updated_at"] = timestamp(record.updated)
        publisher().publish("customers/update", doc)
        return json_response({"customer": doc})

    return [
        Endpoint("GET", "customers.json", list_customers),
        Endpoint("POST", "customers.json", create_customer, root="customer"),
        Endpoint("GET", "customers/count.json", count_customers),
        Endpoint("GET", "customers/search.json", search_customers),
        Endpoint("GET", "customers/{id:int}.json", get_customer),
        Endpoint("PUT", "customers/{id:int}.json", update_customer, root="customer"),
    ]


def _tags(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(t).strip() for t in value if str(t).strip())
    return ", ".join(t.strip() for t in str(value or "").split(",") if t.strip())


def _consent(value: Any, at: datetime) -> dict[str, Any]:
    state = value.get("state") if isinstance(value, dict) else None
    return {
        "state": state if state in ("subscribed", "unsubscribed", "not_subscribed", "pending") else "not_subscribed",
        "opt_in_level": "single_opt_in",
        "consent_updated_at": timestamp(at) if state == "subscribed" else None,
    }


def _add_address(store: Store, doc: dict[str, Any], raw: dict[str, Any]) -> None:
    values = {k: (str(raw[k]).strip() if raw.get(k) is not None else None) for k in ADDRESS_FIELDS}
    name = " ".join(p for p in (values["first_name"], values["last_name"]) if p) or None
    address = {
        "id": store.new_id("customer_address"),
        "customer_id": doc["id"],
        **values,
        "province_code": values["province_code"] or values["province"],
        "country_code": (values["country_code"] or "").upper() or None,
        "country_name": values["country"],
        "name": name,
        "default": not doc["addresses"],
    }
    doc["addresses"].append(address)
    if address["default"]:
        doc["default_address"] = address


def _search_terms(text: str) -> list[Callable[[dict[str, Any]], bool]]:
    """`email:bob@example.com first_name:Bob smith`: every term must match (AND)."""
    try:
        words = shlex.split(text)
    except ValueError:
        words = text.split()
    terms: list[Callable[[dict[str, Any]], bool]] = []
    for word in words:
        field, sep, value = word.partition(":")
        if not sep:
            field, value = "", word
        terms.append(_term(field.lower(), value.lower()))
    return terms


def _term(field: str, value: str) -> Callable[[dict[str, Any]], bool]:
    def text(v: Any) -> str:
        return str(v or "").lower()

    if field == "email":
        return lambda d: text(d.get("email")) == value
    if field in ("first_name", "last_name", "phone", "state", "id"):
        return lambda d: value in text(d.get(field))
    if field in ("country", "city", "province"):
        return lambda d: value in text((d.get("default_address") or {}).get(field))
    if field in ("tag", "tags"):
        return lambda d: value in [t.strip().lower() for t in str(d.get("tags") or "").split(",")]
    return lambda d: any(value in text(d.get(k)) for k in ("first_name", "last_name", "email"))
