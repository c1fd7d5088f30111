"""`TimsSandbox`: the TIMS ERP REST API (`specs/tims-api.md`) as an ASGI app."""

from __future__ import annotations

import re
from collections.abc import Sequence

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ferry.sandboxes.kit import Clock, FixedWindowLimiter, Sandbox
from ferry.sandboxes.tims.api import TOKEN_PATH, TimsApi
from ferry.sandboxes.tims.auth import API_KEY, CLIENT_ID, CLIENT_SECRET, READONLY_API_KEY, Authenticator
from ferry.sandboxes.tims.generate import GENERATABLE, Generator
from ferry.sandboxes.tims.handlers import API_PREFIX
from ferry.sandboxes.tims.idempotency import IdempotencyCache
from ferry.sandboxes.tims.problems import Problem
from ferry.sandboxes.tims.records import Records
from ferry.sandboxes.tims.schema import COLLECTIONS
from ferry.sandboxes.tims.seed import build_store
from ferry.sandboxes.tims.store import Store
from ferry.sandboxes.tims.webhooks import DEFAULT_WEBHOOK_SECRET, Webhooks

#: Requests per window per API key or OAuth client: 10 a second on average, bursts allowed.
DEFAULT_RATE_LIMIT = 3000
DEFAULT_RATE_WINDOW_S = 60.0
PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


class TimsSandbox(Sandbox):
    """TIMS ERP: customers, items, orders, invoices, payments, stock and the GL, over REST."""

    name = "tims"
    title = "TIMS ERP"
    default_port = 7072
    generatable = GENERATABLE
    max_body_bytes = 1024 * 1024

    store: Store
    records: Records
    generator: Generator

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
        clock = clock or Clock()
        # These outlive `/_sandbox/reset`, and the base constructor already resets once.
        self.limiter = FixedWindowLimiter(DEFAULT_RATE_LIMIT, DEFAULT_RATE_WINDOW_S, clock)
        self.auth = Authenticator(clock, lambda: self.faults.settings.expire_tokens)
        self.api = TimsApi(self)
        super().__init__(
            seed=seed,
            base_url=base_url,
            clock=clock,
            webhook_transport=webhook_transport,
            webhook_retry_delays=webhook_retry_delays,
            sizes=sizes,
        )
        self.hooks = Webhooks(self.webhooks, self.clock, DEFAULT_WEBHOOK_SECRET)

    def routes(self) -> list[BaseRoute]:
        return [Route("/{path:path}", self.api)]

    def control_routes(self) -> list[BaseRoute]:
        return [Route("/_sandbox/periods", self._periods, methods=["GET", "POST"])]

    async def _periods(self, request: Request) -> Response:
        """`GET` the closed periods; `POST {"closedBefore": "YYYY-MM" | null}` closes every period before
        that month (or none), as an accountant closes and reopens periods in TIMS."""
        if request.method == "POST":
            try:
                body = await request.json()
            except ValueError:
                body = None
            value = body.get("closedBefore", "missing") if isinstance(body, dict) else "missing"
            if value is not None and (not isinstance(value, str) or not PERIOD.fullmatch(value)):
                return Problem(
                    400, 'Send {"closedBefore": "YYYY-MM"} (a month, e.g. "2026-10"), or null to open every period.'
                ).response()
            with self.lock:
                self.store.closed_before = value
        return JSONResponse({"closedBefore": self.store.closed_before})

    def seed_state(self, seed: int, sizes: dict[str, int] | None) -> None:
        self.store = build_store(seed, sizes, self.clock.now())
        self.records = Records(self.store, self.clock)
        self.idempotency = IdempotencyCache()
        self.generator = Generator(self, seed)

    def credentials(self) -> dict[str, str]:
        return {
            "api_key": API_KEY,
            "readonly_api_key": READONLY_API_KEY,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "webhook_secret": DEFAULT_WEBHOOK_SECRET,
        }

    def error_response(self, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        headers = dict(headers or {})
        if status in (429, 503):
            headers.setdefault("Retry-After", "1" if status == 429 else "5")
        return Problem(status, message, headers=headers).response()

    def generate_one(self, entity: str) -> str:
        return self.generator.one(entity)

    def on_faults_changed(self) -> None:
        override = self.faults.settings.rate_limit
        if override is None:
            self.limiter.configure(DEFAULT_RATE_LIMIT, DEFAULT_RATE_WINDOW_S)
        else:
            self.limiter.configure(override.requests, override.per_seconds)

    def banner(self) -> list[str]:
        return [
            f"REST API:    {self.base_url}{API_PREFIX}/ (JSON; errors as application/problem+json)",
            f"collections: {', '.join(COLLECTIONS)}, webhooks",
            f"auth:        X-API-Key header, or OAuth2 client credentials at {self.base_url}{TOKEN_PATH}",
            f"rate limit:  {DEFAULT_RATE_LIMIT} requests per {DEFAULT_RATE_WINDOW_S:g} s per key or client",
        ]
