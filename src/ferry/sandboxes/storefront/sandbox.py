"""`StorefrontSandbox`: a Shopify shop's Admin REST API and webhooks, served as one ASGI app."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import httpx
from starlette.responses import Response
from starlette.routing import BaseRoute

from ferry.sandboxes.kit import Clock, JSONResponse, LeakyBucketLimiter, Sandbox, World
from ferry.sandboxes.storefront import customers, fulfillments, inventory, orders, products, webhooks
from ferry.sandboxes.storefront.events import DELIVERY_TIMEOUT, RETRY_DELAYS, Publisher
from ferry.sandboxes.storefront.gate import Call, Endpoint, Gate, json_response
from ferry.sandboxes.storefront.generate import generate_customer, generate_order, generate_product
from ferry.sandboxes.storefront.paging import fields_param, project
from ferry.sandboxes.storefront.seed import seed_store
from ferry.sandboxes.storefront.shop import DEFAULT_API_VERSION, SHOP_DOMAIN
from ferry.sandboxes.storefront.store import Store

#: Shopify's REST bucket on the standard plan: 40 requests deep, draining 2 per second.
BUCKET_SIZE, BUCKET_SECONDS = 40, 20.0


def _secret(label: str) -> str:
    # Fixed across seeds and restarts, so a configured connector keeps working after a reset.
    return hashlib.sha256(f"ferry-storefront-sandbox:{label}".encode()).hexdigest()[:32]


ACCESS_TOKEN = f"shpat_{_secret('admin-token')}"
CLIENT_ID = _secret("client-id")
CLIENT_SECRET = f"shpss_{_secret('client-secret')}"

_FAULT_MESSAGES = {
    429: "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class StorefrontSandbox(Sandbox):
    """An emulated Shopify shop (`ferry-demo.myshopify.com`) on the 2025-07 Admin REST API."""

    name = "storefront"
    title = "Storefront (Shopify Admin API)"
    default_port = 7073
    generatable = ("orders", "customers", "products")
    max_body_bytes = 5 * 1024 * 1024

    def __init__(
        self,
        *,
        seed: int = 42,
        base_url: str | None = None,
        clock: Clock | None = None,
        webhook_transport: httpx.AsyncBaseTransport | None = None,
        webhook_retry_delays: Sequence[float] | None = None,
        sizes: dict[str, int] | None = None,
    ) -> None:
        super().__init__(
            seed=seed,
            base_url=base_url,
            clock=clock,
            webhook_transport=webhook_transport,
            webhook_retry_delays=webhook_retry_delays,
            sizes=sizes,
        )
        if webhook_retry_delays is None:
            self.webhooks.retry_delays = RETRY_DELAYS
        self.webhooks.timeout = DELIVERY_TIMEOUT

    # --- the toolkit's hooks --------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        # Called by the base class before the first seeding, so the parts requests need start here.
        self.limiter = LeakyBucketLimiter(BUCKET_SIZE, BUCKET_SECONDS, self.clock)
        self.publisher = Publisher(self.webhooks, CLIENT_SECRET, self.lock, lambda: self.store, self.seed)
        gate = Gate(
            store=lambda: self.store,
            lock=self.lock,
            limiter=self.limiter,
            token=ACCESS_TOKEN,
            tokens_expired=lambda: self.faults.settings.expire_tokens,
            max_body_bytes=self.max_body_bytes,
        )
        events = lambda: self.publisher  # noqa: E731 - handlers look the publisher up per request
        endpoints = [
            Endpoint("GET", "shop.json", _shop),
            *orders.routes(events),
            *customers.routes(events),
            *products.routes(events),
            *inventory.routes(events),
            *fulfillments.routes(events),
            *webhooks.routes(),
        ]
        return gate.routes(endpoints)

    def seed_state(self, seed: int, sizes: dict[str, int] | None) -> None:
        self.world = World(seed)
        self.store = Store(seed=seed, clock=self.clock)
        seed_store(self.store, self.world, sizes)
        self.publisher.reseed(seed)
        self.limiter.reset()

    def credentials(self) -> dict[str, str]:
        return {
            "access_token": ACCESS_TOKEN,
            "api_version": DEFAULT_API_VERSION,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "webhook_secret": CLIENT_SECRET,
            "shop_domain": SHOP_DOMAIN,
        }

    def error_response(self, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        extra = dict(headers or {})
        if status == 429:
            extra.setdefault("Retry-After", "2.0")
        return JSONResponse({"errors": _FAULT_MESSAGES.get(status, message)}, status_code=status, headers=extra)

    def generate_one(self, entity: str) -> str:
        if entity == "orders":
            record = generate_order(self.store, self.world, self.publisher)
        elif entity == "customers":
            record = generate_customer(self.store, self.world, self.publisher)
        else:
            record = generate_product(self.store, self.publisher)
        return str(record.id)

    def on_faults_changed(self) -> None:
        override = self.faults.settings.rate_limit
        if override is None:
            self.limiter.configure(BUCKET_SIZE, BUCKET_SECONDS)
        else:
            self.limiter.configure(override.requests, override.per_seconds)

    def banner(self) -> list[str]:
        store = self.store
        return [
            f"Admin REST API: {self.base_url}/admin/api/{DEFAULT_API_VERSION}/",
            f"shop:        {SHOP_DOMAIN} (America/New_York, USD)",
            f"data:        {len(store.orders)} orders, {len(store.customers)} customers, "
            f"{len(store.products)} products, {len(store.locations)} locations (seed {self.seed})",
            "auth:        X-Shopify-Access-Token header; webhooks signed with the client_secret",
        ]


def _shop(store: Store, call: Call) -> Response:
    return json_response({"shop": project(store.shop, fields_param(call))})
