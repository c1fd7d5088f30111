"""The path every Admin API request takes: version, token, rate limit, content negotiation, body,
then the handler under the sandbox lock, with Shopify's headers on the way out.

Handlers are plain functions `(store, call) -> Response` so a whole request's reads and writes
happen under one lock acquisition, and they raise `ApiError` for anything Shopify would refuse.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ferry.sandboxes.kit import BodyError, JSONResponse, LeakyBucketLimiter, parse_json_object, read_body
from ferry.sandboxes.storefront.errors import INVALID_TOKEN, ApiError, missing_root, not_found
from ferry.sandboxes.storefront.shop import resolve_version
from ferry.sandboxes.storefront.store import Store

Handler = Callable[[Store, "Call"], Response]
_ALL_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One operation: `method` on `path` (relative to `/admin/api/{version}/`)."""

    method: str
    path: str
    handler: Handler
    #: The body's root key (`order` in `{"order": {...}}`); None for bodiless operations.
    root: str | None = None


@dataclass(slots=True)
class Call:
    """What a handler needs from the request."""

    request: Request
    version: str
    params: QueryParams
    path: dict[str, Any]
    body: dict[str, Any] = field(default_factory=dict)
    root_key: str | None = None

    @property
    def api_base(self) -> str:
        """`https://host/admin/api/2025-07`, for Link headers that come back to this sandbox."""
        url = self.request.url
        return f"{url.scheme}://{url.netloc}/admin/api/{self.version}"

    def root(self) -> dict[str, Any]:
        """The object under the body's root key, or Shopify's 400 if it is absent."""
        key = self.root_key or ""
        value = self.body.get(key)
        if not isinstance(value, dict):
            raise missing_root(key)
        return value

    def int_path(self, name: str) -> int:
        value: int = self.path[name]
        return value


@dataclass
class Gate:
    """Admits requests for the sandbox and runs their handlers."""

    store: Callable[[], Store]
    lock: threading.RLock
    limiter: LeakyBucketLimiter
    token: str
    tokens_expired: Callable[[], bool]
    max_body_bytes: int

    def routes(self, endpoints: Sequence[Endpoint]) -> list[BaseRoute]:
        by_path: dict[str, dict[str, Endpoint]] = {}
        for ep in endpoints:
            by_path.setdefault(ep.path, {})[ep.method] = ep
        routes: list[BaseRoute] = []
        for path, methods in by_path.items():
            # Legacy unversioned `/admin/x.json` paths are still answered, with the oldest version.
            for prefix in ("/admin/api/{version}/", "/admin/"):
                routes.append(Route(prefix + path, self._endpoint(methods), methods=_ALL_METHODS))
        routes.append(Route("/{rest:path}", self._not_found, methods=_ALL_METHODS))
        return routes

    def _endpoint(self, methods: dict[str, Endpoint]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            return await self.serve(request, methods)

        return endpoint

    async def _not_found(self, request: Request) -> Response:
        return not_found().response()

    async def serve(self, request: Request, methods: dict[str, Endpoint]) -> Response:
        version = resolve_version(request.path_params.get("version"))
        if version is None:
            return not_found().response()
        supplied = request.headers.get("x-shopify-access-token")
        if supplied != self.token or self.tokens_expired():
            return ApiError(401, INVALID_TOKEN).response()
        decision = self.limiter.acquire(supplied)
        headers = {
            "X-Shopify-Shop-Api-Call-Limit": f"{decision.limit - decision.remaining}/{decision.limit}",
            "X-Shopify-API-Version": version,
        }
        try:
            if not decision.allowed:
                raise _throttled(self.limiter, decision.reset_after)
            endpoint = methods.get(request.method)
            if endpoint is None:
                raise not_found()
            _check_accept(request)
            call = Call(request, version, request.query_params, dict(request.path_params), root_key=endpoint.root)
            if request.method in ("POST", "PUT"):
                call.body = await self._body(request, endpoint.root)
            with self.lock:
                response = endpoint.handler(self.store(), call)
        except ApiError as exc:
            response = exc.response()
        response.headers.update(headers)
        return response

    async def _body(self, request: Request, root: str | None) -> dict[str, Any]:
        try:
            raw = await read_body(request, self.max_body_bytes)
        except BodyError as exc:
            if exc.status == 413:
                raise ApiError(413, "Request Entity Too Large") from None
            raise missing_root(root or "body") from None
        if not raw.strip() and root is None:
            return {}
        media = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
        if media and not (media == "application/json" or media.endswith("+json")):
            raise ApiError(415, "Unsupported Media Type")
        try:
            return parse_json_object(raw)
        except BodyError:
            # Shopify's Rails stack reports an unparseable body as a missing root parameter.
            raise missing_root(root or "body") from None


def _check_accept(request: Request) -> None:
    accept = request.headers.get("accept")
    if not accept:
        return
    kinds = {part.split(";")[0].strip().lower() for part in accept.split(",")}
    if kinds & {"*/*", "application/*", "application/json"} or any(k.endswith("+json") for k in kinds):
        return
    raise ApiError(406, "Not Acceptable")


def _throttled(limiter: LeakyBucketLimiter, reset_after: float) -> ApiError:
    rate = limiter.leak_rate
    shown = int(rate) if rate == int(rate) else round(rate, 2)
    message = f"Exceeded {shown} calls per second for api client. Reduce request rates to resume uninterrupted service."
    # Shopify always says 2.0; a slower bucket (the rate_limit fault) needs longer for one slot.
    retry_after = max(2.0, round(reset_after, 1))
    return ApiError(429, message, headers={"Retry-After": f"{retry_after:.1f}"})


def json_response(content: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(content, status_code=status, headers=headers)
