"""A circuit breaker per connection: stop calling a system that keeps failing, then probe it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from ferry.core.errors import TransientError

State = Literal["closed", "open", "half-open"]


class CircuitOpen(TransientError):
    """The connection's breaker is open; the caller waits without spending an attempt."""


@dataclass
class CircuitBreaker:
    """Opens after `threshold` consecutive transient failures; after `cooldown` one call may probe.

    Auth failures open it with `pause()` until credentials are fixed (`reset()`), so a wrong secret
    does not burn every record's retries.
    """

    threshold: int = 5
    cooldown: float = 30.0
    clock: Callable[[], float] = time.monotonic
    failures: int = 0
    opened_at: float | None = None
    paused_reason: str | None = None
    _probing: bool = field(default=False, repr=False)

    @property
    def state(self) -> State:
        if self.paused_reason is not None:
            return "open"
        if self.opened_at is None:
            return "closed"
        return "half-open" if self.clock() - self.opened_at >= self.cooldown else "open"

    def allow(self) -> bool:
        """May a call go out now? In half-open, exactly one probe is let through."""
        state = self.state
        if state == "closed":
            return True
        if state == "half-open" and not self._probing:
            self._probing = True
            return True
        return False

    def retry_in(self) -> float:
        """Seconds until a call may be tried again."""
        if self.paused_reason is not None:
            return self.cooldown
        if self.opened_at is None:
            return 0.0
        return max(0.0, self.cooldown - (self.clock() - self.opened_at))

    def success(self) -> None:
        self.failures = 0
        self.opened_at = None
        self._probing = False

    def failure(self) -> None:
        self.failures += 1
        self._probing = False
        if self.failures >= self.threshold:
            self.opened_at = self.clock()

    def pause(self, reason: str) -> None:
        self.paused_reason = reason

    def reset(self) -> None:
        self.paused_reason = None
        self.success()
