"""Outgoing webhook deliveries with the retry habits of the system being emulated.

Each delivery runs as its own task: POST, and on failure wait the next delay and try again, until
the delays run out (then the delivery is dropped and counted, as real systems do). Systems differ in
what they retry (Dataverse: only 502/503/504, once; Shopify and TIMS: any non-2xx), so the caller
passes `should_retry`. Signatures that include a timestamp are recomputed per attempt via `sign`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import aiohttp
import httpx

from ferry.sandboxes.kit.clock import Clock
from ferry.sandboxes.kit.stats import Stats

log = logging.getLogger("ferry.sandbox.webhooks")

Signer = Callable[[bytes], dict[str, str]]
RetryRule = Callable[[int | None], bool]
Finished = Callable[["Delivery"], None]


def retry_any_failure(status: int | None) -> bool:
    """Retry on any non-2xx answer and on connection errors (`status` is None)."""
    return status is None or not 200 <= status < 300


@dataclass(slots=True)
class Delivery:
    """One webhook event on its way to one subscriber."""

    id: int
    url: str
    topic: str
    body: bytes
    headers: dict[str, str]
    created_at: datetime
    state: Literal["pending", "delivered", "failed"] = "pending"
    attempts: int = 0
    last_status: int | None = None
    last_error: str | None = None
    attempt_log: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "topic": self.topic,
            "state": self.state,
            "attempts": self.attempts,
            "last_status": self.last_status,
            "last_error": self.last_error,
            "created_at": self.created_at.isoformat(),
            "attempt_log": self.attempt_log,
        }


class WebhookDispatcher:
    """Sends webhooks in the background; `wait_idle()` lets tests wait for quiet."""

    def __init__(
        self,
        stats: Stats,
        clock: Clock,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        retry_delays: Sequence[float] = (1, 5, 30, 120, 600),
        timeout: float = 10.0,
        concurrency: int = 32,
    ) -> None:
        self.stats = stats
        self.clock = clock
        self.transport = transport
        self.retry_delays = tuple(retry_delays)
        self.timeout = timeout
        self.recent: deque[Delivery] = deque(maxlen=1000)
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()
        self._concurrency = concurrency
        self._slots: asyncio.Semaphore | None = None
        self._client: httpx.AsyncClient | None = None
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        #: Asked once per event; True sends the event twice (set by the sandbox from its faults).
        self.duplicate: Callable[[], bool] = lambda: False

    def enqueue(
        self,
        url: str,
        body: bytes,
        *,
        topic: str,
        headers: dict[str, str] | None = None,
        sign: Signer | None = None,
        should_retry: RetryRule = retry_any_failure,
        retry_delays: Sequence[float] | None = None,
        on_done: Finished | None = None,
    ) -> Delivery:
        """Schedule a delivery; must be called from code running on the event loop.

        Headers that identify the event (ids, topic) must be in `headers` so that a duplicate, like a
        retry, carries the same ones; `sign` adds per-attempt headers such as timestamped signatures.
        `on_done` is called once the delivery has succeeded or been given up.
        """
        delivery = self._schedule(url, body, topic, headers, sign, should_retry, retry_delays, on_done)
        if self.duplicate():
            self._schedule(url, body, topic, headers, sign, should_retry, retry_delays, on_done)
        return delivery

    def _schedule(
        self,
        url: str,
        body: bytes,
        topic: str,
        headers: dict[str, str] | None,
        sign: Signer | None,
        should_retry: RetryRule,
        retry_delays: Sequence[float] | None,
        on_done: Finished | None,
    ) -> Delivery:
        delivery = Delivery(
            id=next(self._ids),
            url=url,
            topic=topic,
            body=body,
            headers={"Content-Type": "application/json", **(headers or {})},
            created_at=self.clock.now(),
        )
        self.recent.append(delivery)
        delays = self.retry_delays if retry_delays is None else tuple(retry_delays)
        task = asyncio.get_running_loop().create_task(self._deliver(delivery, sign, should_retry, delays, on_done))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return delivery

    async def wait_idle(self) -> None:
        """Wait until every scheduled delivery has succeeded or given up (wrap in `asyncio.timeout`)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _slots_for_loop(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._slots is None or self._loop is not loop:
            # A test may drive the sandbox from several event loops in turn; clients are bound to one.
            self._slots = asyncio.Semaphore(self._concurrency)
            self._client = self._session = None
            self._loop = loop
        return self._slots

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str | None]:
        """POST over a real socket with aiohttp (cheap enough for hundreds a second), or through the
        in-process transport a test gave, with httpx."""
        if self.transport is not None:
            if self._client is None:
                self._client = httpx.AsyncClient(transport=self.transport, timeout=self.timeout, follow_redirects=False)
            try:
                response = await self._client.post(url, content=body, headers=headers)
            except httpx.HTTPError as exc:
                return None, f"{type(exc).__name__}: {exc}"
            return response.status_code, None if response.is_success else response.text[:500]
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        try:
            async with self._session.post(url, data=body, headers=headers, allow_redirects=False) as answer:
                text = await answer.text(errors="replace")
                return answer.status, None if 200 <= answer.status < 300 else text[:500]
        except (TimeoutError, aiohttp.ClientError) as exc:
            return None, f"{type(exc).__name__}: {exc}"

    async def _deliver(
        self,
        d: Delivery,
        sign: Signer | None,
        should_retry: RetryRule,
        delays: tuple[float, ...],
        on_done: Finished | None,
    ) -> None:
        try:
            await self._attempts(d, sign, should_retry, delays)
        finally:
            if on_done is not None and d.state != "pending":
                on_done(d)

    async def _attempts(
        self, d: Delivery, sign: Signer | None, should_retry: RetryRule, delays: tuple[float, ...]
    ) -> None:
        for attempt in range(len(delays) + 1):
            status, error = await self._attempt(d, sign)
            d.attempts = attempt + 1
            d.last_status, d.last_error = status, error
            d.attempt_log.append({"at": self.clock.now().isoformat(), "status": status, "error": error})
            if status is not None and 200 <= status < 300:
                d.state = "delivered"
                self.stats.count_webhook(delivered=True)
                return
            last = attempt == len(delays) or not should_retry(status)
            self.stats.count_webhook(delivered=False, gave_up=last)
            if last:
                d.state = "failed"
                log.info("webhook %s to %s dropped after %d attempts", d.topic, d.url, d.attempts)
                return
            await asyncio.sleep(delays[attempt])

    async def _attempt(self, d: Delivery, sign: Signer | None) -> tuple[int | None, str | None]:
        slots = self._slots_for_loop()
        headers = dict(d.headers)
        if sign is not None:
            headers.update(sign(d.body))
        async with slots:
            return await self._post(d.url, d.body, headers)
