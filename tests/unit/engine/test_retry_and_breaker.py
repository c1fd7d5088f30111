from __future__ import annotations

import random

import pytest

from ferry.engine.breaker import CircuitBreaker
from ferry.engine.retry import RetryPolicy


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(base_seconds=1, max_seconds=60, jitter=False)
    assert [policy.delay(n) for n in (1, 2, 3, 8)] == [1, 2, 4, 60]


def test_jitter_stays_under_the_ceiling_and_retry_after_is_a_floor() -> None:
    policy = RetryPolicy(base_seconds=1, max_seconds=60)
    rng = random.Random(1)
    assert all(0 <= policy.delay(3, rng=rng) <= 4 for _ in range(100))
    assert policy.delay(1, retry_after=30, rng=rng) >= 30


def test_policy_validates_itself() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(base_seconds=10, max_seconds=1)


def test_breaker_opens_after_threshold_and_lets_one_probe_through() -> None:
    now = [0.0]
    breaker = CircuitBreaker(threshold=3, cooldown=10, clock=lambda: now[0])
    for _ in range(3):
        assert breaker.allow()
        breaker.failure()
    assert breaker.state == "open" and not breaker.allow()
    now[0] = 10
    assert breaker.allow()
    assert not breaker.allow()  # only one probe while half-open
    breaker.success()
    assert breaker.state == "closed"


def test_pause_holds_until_reset() -> None:
    breaker = CircuitBreaker(cooldown=5)
    breaker.pause("credentials refused")
    assert not breaker.allow()
    breaker.reset()
    assert breaker.allow()
