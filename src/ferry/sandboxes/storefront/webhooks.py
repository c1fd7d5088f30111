"""Webhook subscriptions: `webhooks.json` list/create, `webhooks/{id}.json` get/update/delete, count."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from starlette.responses import Response

from ferry.sandboxes.storefront.errors import Validation, not_found
from ferry.sandboxes.storefront.formats import timestamp
from ferry.sandboxes.storefront.gate import Call, Endpoint, json_response
from ferry.sandboxes.storefront.paging import Sort, fields_param, list_query, project, respond_page
from ferry.sandboxes.storefront.query import COMMON_FILTERS, common_predicate
from ferry.sandboxes.storefront.shop import TOPICS
from ferry.sandboxes.storefront.store import Record, Store, Subscription

_LOOPBACK = ("localhost", "127.0.0.1", "::1", "[::1]")


def subscription_doc(sub: Subscription) -> dict[str, Any]:
    return {
        "id": sub.id,
        "address": sub.address,
        "topic": sub.topic,
        "created_at": timestamp(sub.created),
        "updated_at": timestamp(sub.updated),
        "format": sub.format,
        "fields": list(sub.fields),
        "metafield_namespaces": [],
        "api_version": sub.api_version,
        "private_metafield_namespaces": [],
    }


def _records(store: Store, params: Mapping[str, str]) -> list[Record]:
    common = common_predicate(params)
    rows = [Record(s.id, s.created, s.updated, subscription_doc(s)) for s in store.subscriptions.values()]
    wanted = {k: params[k] for k in ("address", "topic") if params.get(k)}
    return [r for r in rows if common(r) and all(r.doc[k] == v for k, v in wanted.items())]


def _validate(store: Store, data: dict[str, Any], current: Subscription | None) -> dict[str, Any]:
    problems = Validation()
    topic = current.topic if current else str(data.get("topic") or "").strip()
    address = str(data.get("address") or "").strip() if current is None or "address" in data else current.address
    if not topic:
        problems.add("topic", "can't be blank")
    elif topic not in TOPICS:
        problems.add(
            "topic",
            f"Invalid topic specified: {topic}. Does it exist? Is there a missing access scope? "
            f"Topics allowed: {', '.join(TOPICS)}",
        )
    if not address:
        problems.add("address", "can't be blank")
    else:
        parts = urlsplit(address)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            problems.add("address", "is invalid")
        elif parts.scheme == "http" and parts.hostname not in _LOOPBACK:
            # Shopify delivers over HTTPS only; plain http is allowed here for local receivers.
            problems.add("address", "protocol http:// is not supported")
        elif any(s.topic == topic and s.address == address and s is not current for s in store.subscriptions.values()):
            problems.add("address", "for this topic has already been taken")
    fmt = data.get("format", current.format if current else "json")
    if fmt != "json":
        problems.add("format", "is not included in the list")
    fields = data.get("fields", current.fields if current else [])
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        problems.add("fields", "is invalid")
    problems.raise_if_any()
    return {"topic": topic, "address": address, "format": fmt, "fields": list(fields)}


def routes() -> list[Endpoint]:
    def list_webhooks(store: Store, call: Call) -> Response:
        query = list_query(call, (*COMMON_FILTERS, "address", "topic"))
        return respond_page(call, query, _records(store, query.params), Sort(), "webhooks")

    def count_webhooks(store: Store, call: Call) -> Response:
        return json_response({"count": len(_records(store, dict(call.params)))})

    def get_webhook(store: Store, call: Call) -> Response:
        sub = _require(store, call)
        return json_response({"webhook": project(subscription_doc(sub), fields_param(call))})

    def create_webhook(store: Store, call: Call) -> Response:
        clean = _validate(store, call.root(), None)
        now = store.now()
        sub = Subscription(store.new_id("webhook"), clean["address"], clean["topic"], clean["format"],
                           clean["fields"], call.version, now, now)  # fmt: skip
        store.subscriptions[sub.id] = sub
        return json_response({"webhook": subscription_doc(sub)}, 201)

    def update_webhook(store: Store, call: Call) -> Response:
        sub = _require(store, call)
        clean = _validate(store, call.root(), sub)
        sub.address, sub.format, sub.fields = clean["address"], clean["format"], clean["fields"]
        sub.updated = store.now()
        return json_response({"webhook": subscription_doc(sub)})

    def delete_webhook(store: Store, call: Call) -> Response:
        sub = _require(store, call)
        del store.subscriptions[sub.id]
        return json_response({})

    return [
        Endpoint("GET", "webhooks.json", list_webhooks),
        Endpoint("POST", "webhooks.json", create_webhook, root="webhook"),
        Endpoint("GET", "webhooks/count.json", count_webhooks),
        Endpoint("GET", "webhooks/{id:int}.json", get_webhook),
        Endpoint("PUT", "webhooks/{id:int}.json", update_webhook, root="webhook"),
        Endpoint("DELETE", "webhooks/{id:int}.json", delete_webhook),
    ]


def _require(store: Store, call: Call) -> Subscription:
    sub = store.subscriptions.get(call.int_path("id"))
    if sub is None:
        raise not_found()
    return sub
