"""Dataverse service protection limits: requests per sliding window and concurrent requests, per user."""

from __future__ import annotations

import threading
from collections import Counter

from ferry.sandboxes.dynamics365.errors import CONCURRENCY_LIMIT, REQUESTS_LIMIT, ODataError
from ferry.sandboxes.kit.clock import Clock
from ferry.sandboxes.kit.limits import SlidingWindowLimiter

REQUESTS, WINDOW_SECONDS, CONCURRENT = 6000, 300, 52


class ServiceProtection:
    def __init__(self, clock: Clock) -> None:
        self.window = SlidingWindowLimiter(REQUESTS, WINDOW_SECONDS, clock)
        self.concurrent_limit = CONCURRENT
        self._in_flight: Counter[str] = Counter()
        self._lock = threading.Lock()

    def configure(self, requests: int | None, per_seconds: float | None) -> None:
        """Apply a `rate_limit` fault, or restore the documented defaults when given None."""
        self.window.configure(requests or REQUESTS, per_seconds or WINDOW_SECONDS)

    def admit(self, user: str) -> int:
        """Count one request; raise a 429 ODataError when a limit is exceeded. Returns the burst remaining."""
        decision = self.window.acquire(user)
        if not decision.allowed:
            raise ODataError(
                429,
                REQUESTS_LIMIT,
                f"Number of requests exceeded the limit of {self.window.requests} over time window of "
                f"{int(self.window.per_seconds)} seconds.",
                {"Retry-After": decision.retry_after_header},
            )
        return decision.remaining

    def enter(self, user: str) -> None:
        with self._lock:
            if self._in_flight[user] >= self.concurrent_limit:
                raise ODataError(
                    429,
                    CONCURRENCY_LIMIT,
                    f"Number of concurrent requests exceeded the limit of {self.concurrent_limit}.",
                    {"Retry-After": "1"},
                )
            self._in_flight[user] += 1

    def leave(self, user: str) -> None:
        with self._lock:
            self._in_flight[user] -= 1
