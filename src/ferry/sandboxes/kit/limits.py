"""Rate limiters with the shapes real systems use.

Each system meters differently (Dataverse: a sliding window per user; TIMS: a fixed window with
`X-RateLimit-*` headers; Shopify: a leaky bucket), but all can be reconfigured with the same two
numbers, which is what the `rate_limit` fault does.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass

from ferry.sandboxes.kit.clock import Clock


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of one request against a limiter."""

    allowed: bool
    limit: int
    remaining: int
    # Seconds until the caller may try again (when refused) or until the window resets (when allowed).
    reset_after: float

    @property
    def retry_after_header(self) -> str:
        """`Retry-After` as whole seconds, never 0: a client told 0 would hammer us."""
        return str(max(1, math.ceil(self.reset_after)))


class Limiter:
    """Base for the limiters: `acquire(key)` admits or refuses one request for that caller."""

    def __init__(self, requests: int, per_seconds: float, clock: Clock) -> None:
        self._lock = threading.Lock()
        self.clock = clock
        self.configure(requests, per_seconds)

    def configure(self, requests: int, per_seconds: float) -> None:
        if requests < 1 or per_seconds <= 0:
            raise ValueError("a rate limit needs requests >= 1 and per_seconds > 0")
        with self._lock:
            self.requests = requests
            self.per_seconds = per_seconds
            self._reset_state()

    def reset(self) -> None:
        with self._lock:
            self._reset_state()

    def acquire(self, key: str) -> Decision:
        with self._lock:
            return self._acquire(key, self.clock.monotonic())

    def _reset_state(self) -> None:
        raise NotImplementedError

    def _acquire(self, key: str, now: float) -> Decision:
        raise NotImplementedError


class SlidingWindowLimiter(Limiter):
    """At most `requests` in any window of `per_seconds` (Dataverse's service protection)."""

    def _reset_state(self) -> None:
        self._hits: dict[str, deque[float]] = {}

    def _acquire(self, key: str, now: float) -> Decision:
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.per_seconds:
            hits.popleft()
        if len(hits) >= self.requests:
            return Decision(False, self.requests, 0, hits[0] + self.per_seconds - now)
        hits.append(now)
        return Decision(True, self.requests, self.requests - len(hits), hits[0] + self.per_seconds - now)


class FixedWindowLimiter(Limiter):
    """`requests` per window that starts at the caller's first request (typical REST APIs)."""

    def _reset_state(self) -> None:
        self._windows: dict[str, tuple[float, int]] = {}

    def _acquire(self, key: str, now: float) -> Decision:
        start, used = self._windows.get(key, (now, 0))
        if now - start >= self.per_seconds:
            start, used = now, 0
        reset_after = start + self.per_seconds - now
        if used >= self.requests:
            self._windows[key] = (start, used)
            return Decision(False, self.requests, 0, reset_after)
        self._windows[key] = (start, used + 1)
        return Decision(True, self.requests, self.requests - used - 1, reset_after)


class LeakyBucketLimiter(Limiter):
    """A bucket of `requests` that drains `requests / per_seconds` per second (Shopify's REST limit)."""

    def _reset_state(self) -> None:
        self._levels: dict[str, tuple[float, float]] = {}

    @property
    def leak_rate(self) -> float:
        return self.requests / self.per_seconds

    def level(self, key: str) -> int:
        with self._lock:
            level, at = self._levels.get(key, (0.0, self.clock.monotonic()))
            return math.ceil(max(0.0, level - (self.clock.monotonic() - at) * self.leak_rate))

    def _acquire(self, key: str, now: float) -> Decision:
        level, at = self._levels.get(key, (0.0, now))
        level = max(0.0, level - (now - at) * self.leak_rate)
        if level + 1 > self.requests:
            self._levels[key] = (level, now)
            return Decision(False, self.requests, 0, (level + 1 - self.requests) / self.leak_rate)
        level += 1
        self._levels[key] = (level, now)
        return Decision(True, self.requests, self.requests - math.ceil(level), level / self.leak_rate)
