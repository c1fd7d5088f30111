"""What every sandbox is: an ASGI app around one emulated system, plus the `/_sandbox/` control surface.

A subclass supplies the system's routes, seeded state, credentials and error shape; this class adds
the parts every sandbox shares (fault injection, counters, webhooks, body limits, "never a 500 with a
traceback") so that each emulator only describes its own protocol.
"""

from __future__ import annotations

import abc
import asyncio
import logging
import threading
from collections.abc import Sequence
from typing import ClassVar

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import Message, Receive, Scope, Send

from ferry.sandboxes.kit.clock import Clock
from ferry.sandboxes.kit.faults import FaultInjector
from ferry.sandboxes.kit.stats import Stats
from ferry.sandboxes.kit.webhooks import WebhookDispatcher

log = logging.getLogger("ferry.sandbox")

CONTROL_PREFIX = "/_sandbox"
#: Set to True in a request's ASGI scope by a system route whose POST only reads (a Dataverse `$batch`
#: of GETs), so `/_sandbox/stats` does not count it among the writes.
READS_ONLY = "ferry.sandbox.reads_only"


class ConnectionDropped(httpx.RemoteProtocolError):
    """Raised inside the app to cut the connection mid-response.

    Under uvicorn the server closes the socket, so the client sees a truncated response. Under
    `httpx.ASGITransport` the same exception reaches the client directly, and because it is an
    `httpx.RemoteProtocolError` the client sees what it would see over a socket.
    """

    def __init__(self) -> None:
        super().__init__("The sandbox dropped the connection (fault injection).")


class Sandbox(abc.ABC):
    """An emulated system, served as an ASGI app (`await sandbox(scope, receive, send)`)."""

    name: ClassVar[str]
    title: ClassVar[str]
    default_port: ClassVar[int]
    #: Entities `POST /_sandbox/generate` can create.
    generatable: ClassVar[tuple[str, ...]] = ()
    #: Bodies above this are refused with 413 before they are read.
    max_body_bytes: ClassVar[int] = 16 * 1024 * 1024

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
        self.seed = seed
        self.sizes = sizes
        self.base_url = (base_url or f"http://127.0.0.1:{self.default_port}").rstrip("/")
        self.clock = clock or Clock()
        self.faults = FaultInjector(seed)
        self.stats = Stats()
        # One lock around every state change: handlers do their reads and writes under it, so
        # concurrent requests (and threads, under a test client) see whole records only.
        self.lock = threading.RLock()
        self.webhooks = WebhookDispatcher(self.stats, self.clock, transport=webhook_transport)
        if webhook_retry_delays is not None:
            self.webhooks.retry_delays = tuple(webhook_retry_delays)
        self.webhooks.duplicate = self.faults.duplicate_webhook
        self.generator_tasks: set[asyncio.Task[object]] = set()
        from ferry.sandboxes.kit.control import control_routes

        self._control = Starlette(routes=[*control_routes(self), *self.control_routes()])
        self._api = Starlette(routes=self.routes(), exception_handlers={Exception: self._unexpected})
        self.reset()

    # --- what a subclass provides -------------------------------------------------------------

    @abc.abstractmethod
    def routes(self) -> list[BaseRoute]:
        """The system's own API routes."""

    def control_routes(self) -> list[BaseRoute]:
        """Controls of this system's own under `/_sandbox/`, besides the common ones (none by default)."""
        return []

    @abc.abstractmethod
    def seed_state(self, seed: int, sizes: dict[str, int] | None) -> None:
        """Replace all state with the seeded data set (same seed, same data)."""

    @abc.abstractmethod
    def credentials(self) -> dict[str, str]:
        """The credentials this sandbox accepts, keyed as in `sandbox-control.md`."""

    @abc.abstractmethod
    def error_response(self, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        """An error in the system's own shape (used for injected faults and unexpected failures)."""

    @abc.abstractmethod
    def generate_one(self, entity: str) -> str:
        """Create one realistic record of `entity` as a user of the system would; return its id."""

    def on_faults_changed(self) -> None:  # noqa: B027 - optional hook
        """React to `POST/DELETE /_sandbox/faults` (e.g. apply a `rate_limit` override)."""

    def banner(self) -> list[str]:
        """Lines printed at startup saying what the sandbox serves."""
        return []

    # --- shared behaviour ---------------------------------------------------------------------

    def reset(self, seed: int | None = None, sizes: dict[str, int] | None = None) -> None:
        """Back to the seeded state; the seed and sizes stay as they were unless given."""
        with self.lock:
            self.seed = self.seed if seed is None else seed
            self.sizes = self.sizes if sizes is None else sizes
            self.seed_state(self.seed, self.sizes)
            self.stats.reset()
            self.faults.clear(self.seed)
            self.on_faults_changed()

    async def aclose(self) -> None:
        for task in list(self.generator_tasks):
            task.cancel()
        await asyncio.gather(*self.generator_tasks, return_exceptions=True)
        await self.webhooks.aclose()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            await self._api(scope, receive, send)
            return
        path: str = scope["path"]
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            await self._control(scope, receive, send)
            return
        await self._serve_api(scope, receive, send)

    async def _serve_api(self, scope: Scope, receive: Receive, send: Send) -> None:
        status = 500
        started = completed = False

        async def tracking_send(message: Message) -> None:
            nonlocal status, started, completed
            if message["type"] == "http.response.start":
                status, started = message["status"], True
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                completed = True
            await send(message)

        try:
            plan = self.faults.plan(scope["path"])
            if plan.latency_s:
                await asyncio.sleep(plan.latency_s)
            if plan.drop:
                status = 0
                await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"64")]})
                raise ConnectionDropped()
            if plan.error_status is not None:
                response = self.error_response(plan.error_status, _fault_message(plan.error_status))
                await response(scope, receive, tracking_send)
                return
            await self._api(scope, receive, tracking_send)
        except ConnectionDropped:
            raise
        except Exception:
            if completed:
                return  # already answered with the system's 500 and logged by `_unexpected`
            log.exception("%s sandbox failed on %s %s", self.name, scope["method"], scope["path"])
            if started:
                raise
            response = self.error_response(500, "An unexpected error occurred in the sandbox.")
            await response(scope, receive, tracking_send)
        finally:
            self.stats.count_request(scope["method"], scope["path"], status, reads_only=bool(scope.get(READS_ONLY)))

    async def _unexpected(self, request: Request, exc: Exception) -> Response:
        log.error("%s sandbox failed on %s %s", self.name, request.method, request.url.path, exc_info=exc)
        return self.error_response(500, "An unexpected error occurred in the sandbox.")

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return


def _fault_message(status: int) -> str:
    messages: dict[int, str] = {
        429: "Too many requests.",
        500: "An unexpected error occurred.",
        502: "Bad gateway.",
        503: "The service is temporarily unavailable. Please try again later.",
        504: "The upstream service timed out.",
    }
    return messages.get(status, "The request failed (injected fault).")
