"""A client-side token bucket, so a connection stays under the target's published limits."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class TokenBucket:
    """`rate` requests per second on average, bursts up to `burst`; `acquire()` waits its turn."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a token bucket needs rate > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._at = clock()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now

    async def acquire(self) -> None:
        async with self._lock:  # first come, first served
            self._refill()
            if self._tokens < 1:
                await asyncio.sleep((1 - self._tokens) / self.rate)
                self._refill()
            self._tokens -= 1

    def available(self) -> float:
        """Tokens in the bucket now (negative while paying off a 429's wait)."""
        self._refill()
        return self._tokens

    def penalise(self, seconds: float) -> None:
        """The system asked us to wait (a 429): spend the tokens that would accrue meanwhile."""
        self._refill()
        self._tokens = min(self._tokens, 0.0) - seconds * self.rate

    def cap(self, tokens: float) -> None:
        """The system says only `tokens` requests are left now: never count on more than that."""
        self._refill()
        self._tokens = min(self._tokens, tokens)
