"""The front door: rate limit, authentication, routing and permissions, in that order.

One catch-all route leads here rather than a Starlette route per path, so that every answer, a
404 or 405 included, is problem+json and carries the `X-RateLimit-*` headers.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ferry.sandboxes.kit import BodyError, Decision
from ferry.sandboxes.tims.auth import Caller
from ferry.sandboxes.tims.handlers import API_PREFIX, Handlers
from ferry.sandboxes.tims.problems import Problem
from ferry.sandboxes.tims.schema import COLLECTIONS, SKU_PATTERN, WAREHOUSES, Collection
from ferry.sandboxes.tims.store import Key

if TYPE_CHECKING:
    from ferry.sandboxes.tims.sandbox import TimsSandbox

TOKEN_PATH = "/oauth/token"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})

Handler = Callable[[Request, Caller], Awaitable[Response]]
Route = dict[str, Handler]


def rate_headers(decision: Decision) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(decision.limit),
        "X-RateLimit-Remaining": str(decision.remaining),
        "X-RateLimit-Reset": decision.retry_after_header,
    }


class TimsApi:
    def __init__(self, sandbox: TimsSandbox) -> None:
        self.sandbox = sandbox
        self.handlers = Handlers(sandbox)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # An ASGI app rather than a request function: Starlette then routes every method here.
        response = await self.endpoint(Request(scope, receive))
        await response(scope, receive, send)

    async def endpoint(self, request: Request) -> Response:
        headers: dict[str, str] = {}
        try:
            response = await self._dispatch(request, headers)
        except Problem as problem:
            response = problem.response(request.url.path)
        except BodyError as exc:
            response = Problem(exc.status, exc.message).response(request.url.path)
        response.headers.update(headers)
        return response

    async def _dispatch(self, request: Request, headers: dict[str, str]) -> Response:
        path = request.url.path.rstrip("/") or "/"
        method = "GET" if request.method == "HEAD" else request.method
        address = request.client.host if request.client else "unknown"
        caller: Caller | None = None
        refusal: Problem | None = None
        if path != TOKEN_PATH:
            try:
                caller = self.sandbox.auth.identify(request.headers)
            except Problem as problem:
                refusal = problem
        # Metered per API key or OAuth client; anonymous calls (and the token endpoint) per address.
        decision = self.sandbox.limiter.acquire(caller.principal if caller else f"addr:{address}")
        headers.update(rate_headers(decision))
        if not decision.allowed:
            raise Problem(
                429,
                f"Rate limit of {decision.limit} requests exceeded; retry after {decision.retry_after_header} s.",
                headers={"Retry-After": decision.retry_after_header},
            )
        if path == TOKEN_PATH:
            _allow(method, ("POST",))
            return await self.handlers.token(request)
        if refusal is not None:
            raise refusal
        assert caller is not None
        route = self._route(path)
        if method == "OPTIONS":
            return Response(status_code=204, headers={"Allow": ", ".join(route)})
        _allow(method, tuple(route))
        if method in WRITES and not caller.can_write:
            raise Problem(403, "These credentials may only read; writes need a key or token with write access.")
        return await route[method](request, caller)

    def _route(self, path: str) -> Route:
        if not path.startswith(API_PREFIX + "/"):
            raise Problem(404, f"Nothing is served at {path}; the API is under {API_PREFIX}/.")
        parts = path[len(API_PREFIX) + 1 :].split("/")
        h = self.handlers
        if parts[0] == "webhooks":
            if len(parts) == 1:
                return {"GET": lambda r, c: h.list_webhooks(r), "POST": h.create_webhook}
            if len(parts) == 2:
                webhook_id = _int_key(parts[1], "webhook subscription")
                return {
                    "GET": lambda r, c: h.get_webhook(r, webhook_id),
                    "DELETE": lambda r, c: h.delete_webhook(r, webhook_id),
                }
        collection = COLLECTIONS.get(parts[0])
        if collection is None:
            known = ", ".join([*COLLECTIONS, "webhooks"])
            raise Problem(404, f"There is no collection {parts[0]!r}; the collections are: {known}.")
        if len(parts) == 1:
            route: Route = {"GET": lambda r, c: h.list(r, collection)}
            if collection.writable:
                route["POST"] = lambda r, c: h.create(r, c, collection)
            return route
        key = self._key(collection, parts[1:])
        if not collection.writable:
            return {"GET": lambda r, c: h.get(r, collection, key)}
        return {
            "GET": lambda r, c: h.get(r, collection, key),
            "PUT": lambda r, c: h.update(r, collection, key, partial=False),
            "PATCH": lambda r, c: h.update(r, collection, key, partial=True),
            "DELETE": lambda r, c: h.delete(r, collection, key),
        }

    def _key(self, collection: Collection, parts: list[str]) -> Key:
        if collection.name == "inventory":
            if len(parts) != 2 or not _is_sku(parts[0]) or parts[1] not in WAREHOUSES:
                raise Problem(
                    404,
                    "Inventory is addressed as /inventory/{SKU}/{Warehouse}, with Warehouse one of "
                    f"{', '.join(WAREHOUSES)}; or list it filtered by SKU or Warehouse.",
                )
            return (parts[0], parts[1])
        if len(parts) != 1:
            raise Problem(404, f"Nothing is served at {'/'.join([collection.name, *parts])}.")
        return _int_key(parts[0], collection.name)


def _is_sku(text: str) -> bool:
    return re.fullmatch(SKU_PATTERN, text) is not None


def _int_key(text: str, what: str) -> int:
    if not text.isdigit() or len(text) > 15:
        raise Problem(404, f"There is no {what} record with id {text!r}.")
    return int(text)


def _allow(method: str, allowed: tuple[str, ...]) -> None:
    if method not in allowed:
        raise Problem(
            405,
            f"{method} is not allowed here; use {' or '.join(allowed)}.",
            headers={"Allow": ", ".join(allowed)},
        )
