"""The handlers behind each route: collections, inventory, webhook subscriptions, the token endpoint.

A handler reads and checks the request outside the lock (that may await), then does all its reads
and writes under `sandbox.lock` without awaiting, so concurrent requests see whole changes only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from ferry.sandboxes.kit import JSONResponse, parse_json_object, read_body
from ferry.sandboxes.tims.fields import FieldErrors
from ferry.sandboxes.tims.idempotency import StoredResponse, check_key, fingerprint
from ferry.sandboxes.tims.problems import Problem, validation_problem
from ferry.sandboxes.tims.query import page_of, parse_list_query, select
from ferry.sandboxes.tims.records import etag
from ferry.sandboxes.tims.schema import Collection
from ferry.sandboxes.tims.store import Key
from ferry.sandboxes.tims.webhooks import parse_subscription

if TYPE_CHECKING:
    from ferry.sandboxes.tims.auth import Caller
    from ferry.sandboxes.tims.sandbox import TimsSandbox

API_PREFIX = "/api/v1"
TOKEN_BODY_LIMIT = 64 * 1024


class Handlers:
    def __init__(self, sandbox: TimsSandbox) -> None:
        self.sandbox = sandbox

    # --- collections ------------------------------------------------------------------------------

    async def list(self, request: Request, collection: Collection) -> Response:
        query = parse_list_query(collection, request.query_params)
        with self.sandbox.lock:
            table = self.sandbox.store.table(collection.name)
            rows = table.rows.items()
            usable = {name: wanted for name, wanted in query.filters.items() if None not in wanted}
            if usable:  # narrow by index first; `select` still applies every filter
                keys = set.intersection(*(table.keys_where(name, wanted) for name, wanted in usable.items()))
                rows = {k: table.rows[k] for k in keys}.items()
            records = select(rows, query)
            body = page_of(records, query, collection.render)
        return JSONResponse(body)

    async def get(self, request: Request, collection: Collection, key: Key) -> Response:
        with self.sandbox.lock:
            record = self.sandbox.records.find(collection, key)
            body = collection.render(record)
        tag = etag(record)
        if _matches_none(request.headers.get("if-none-match"), tag):
            return Response(status_code=304, headers={"ETag": tag})
        return JSONResponse(body, headers={"ETag": tag})

    async def create(self, request: Request, caller: Caller, collection: Collection) -> Response:
        payload = await self._json(request)
        values = _parse(collection, payload, partial=False)

        def create() -> Response:
            key, changes = self.sandbox.records.create(collection, values)
            record = self.sandbox.store.table(collection.name).rows[key]
            self.sandbox.hooks.publish(changes)
            location = f"{self.sandbox.base_url}{API_PREFIX}/{collection.name}/{key}"
            return JSONResponse(collection.render(record), 201, {"Location": location, "ETag": etag(record)})

        return self._idempotent(request, caller, payload, create)

    async def update(self, request: Request, collection: Collection, key: Key, *, partial: bool) -> Response:
        payload = await self._json(request)
        values = _parse(collection, payload, partial=partial)
        with self.sandbox.lock:
            record, changes = self.sandbox.records.update(
                collection, key, values, if_match=request.headers.get("if-match")
            )
            self.sandbox.hooks.publish(changes)
            body = collection.render(record)
        return JSONResponse(body, headers={"ETag": etag(record)})

    async def delete(self, request: Request, collection: Collection, key: Key) -> Response:
        with self.sandbox.lock:
            record, changes = self.sandbox.records.delete(collection, key, if_match=request.headers.get("if-match"))
            self.sandbox.hooks.publish(changes)
        return Response(status_code=204, headers={"ETag": etag(record)})

    # --- webhook subscriptions --------------------------------------------------------------------

    async def list_webhooks(self, request: Request) -> Response:
        query = parse_list_query(None, request.query_params)
        with self.sandbox.lock:
            subscriptions = list(self.sandbox.hooks.subscriptions.values())
        rendered = [s.render() for s in subscriptions]
        return JSONResponse(page_of(rendered, query, lambda r: r))

    async def create_webhook(self, request: Request, caller: Caller) -> Response:
        payload = await self._json(request)
        url, events, secret = parse_subscription(payload)

        def subscribe() -> Response:
            subscription = self.sandbox.hooks.subscribe(url, events, secret)
            location = f"{self.sandbox.base_url}{API_PREFIX}/webhooks/{subscription.id}"
            return JSONResponse(subscription.render(), 201, {"Location": location})

        return self._idempotent(request, caller, payload, subscribe)

    async def get_webhook(self, request: Request, webhook_id: int) -> Response:
        with self.sandbox.lock:
            subscription = self.sandbox.hooks.subscriptions.get(webhook_id)
        if subscription is None:
            raise Problem(404, f"There is no webhook subscription with WebhookID {webhook_id}.")
        return JSONResponse(subscription.render())

    async def delete_webhook(self, request: Request, webhook_id: int) -> Response:
        with self.sandbox.lock:
            if self.sandbox.hooks.subscriptions.pop(webhook_id, None) is None:
                raise Problem(404, f"There is no webhook subscription with WebhookID {webhook_id}.")
        return Response(status_code=204)

    # --- OAuth ------------------------------------------------------------------------------------

    async def token(self, request: Request) -> Response:
        body = await read_body(request, TOKEN_BODY_LIMIT)
        with self.sandbox.lock:
            grant = self.sandbox.auth.token(request.headers, body)
        return JSONResponse(grant, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    # --- helpers ----------------------------------------------------------------------------------

    async def _json(self, request: Request) -> dict[str, Any]:
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json" and not media_type.endswith("+json"):
            shown = media_type or "none"
            raise Problem(415, f"Send the body as JSON (Content-Type: application/json), not {shown}.")
        return parse_json_object(await read_body(request, self.sandbox.max_body_bytes))

    def _idempotent(
        self, request: Request, caller: Caller, payload: dict[str, Any], produce: Callable[[], Response]
    ) -> Response:
        """Run `produce` under the lock, or replay the answer an earlier request with this key got."""
        key = request.headers.get("idempotency-key")
        cache, clock = self.sandbox.idempotency, self.sandbox.clock
        with self.sandbox.lock:
            if key is None:
                return produce()
            check_key(key)
            print_ = fingerprint(request.method, request.url.path, payload)
            stored = cache.lookup(caller.principal, key, print_, clock.now())
            if stored is not None:
                headers = {**stored.headers, "Idempotent-Replayed": "true"}
                return Response(stored.body, stored.status, headers, media_type="application/json")
            response = produce()
            kept = {k: v for k, v in response.headers.items() if k in ("location", "etag")}
            entry = StoredResponse(print_, response.status_code, bytes(response.body), kept, clock.now())
            cache.remember(caller.principal, key, entry)
            return response


def _parse(collection: Collection, payload: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    try:
        return collection.parse(payload, partial=partial)
    except FieldErrors as exc:
        raise validation_problem(exc.problems) from None


def _matches_none(header: str | None, tag: str) -> bool:
    if header is None:
        return False
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or tag in tags
