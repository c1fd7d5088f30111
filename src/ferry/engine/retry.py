"""How long to wait before trying again, by failure class and attempt."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with full jitter, capped, honouring a system's `Retry-After`.

    `max_attempts` bounds transient retries; after it the record goes to the dead-letter queue with
    its last error (nothing is ever dropped silently).
    """

    base_seconds: float = 1.0
    max_seconds: float = 300.0
    max_attempts: int = 12
    jitter: bool = True
    #: A conflict (the record changed under us, or a key is taken) is retried only a few times:
    #: a fresh read settles a concurrent edit at once, and a taken key does not free itself.
    conflict_attempts: int = 3

    def __post_init__(self) -> None:
        if self.base_seconds <= 0 or self.max_seconds < self.base_seconds:
            raise ValueError("RetryPolicy needs 0 < base_seconds <= max_seconds")
        if self.max_attempts < 1:
            raise ValueError("RetryPolicy needs max_attempts >= 1")

    def delay(self, attempt: int, retry_after: float | None = None, rng: random.Random | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** (attempt - 1))
        wait = (rng or random).uniform(0, ceiling) if self.jitter else ceiling
        if retry_after is not None:
            # The system said when; never sooner, and never less than the backoff already planned.
            wait = max(wait, retry_after)
        return wait

    def exhausted(self, attempt: int) -> bool:
        return attempt >= self.max_attempts
