from __future__ import annotations

import pytest

from ferry.sandboxes.kit import FixedWindowLimiter, LeakyBucketLimiter, ManualClock, SlidingWindowLimiter


def test_sliding_window_refuses_past_the_limit_until_the_oldest_hit_leaves_the_window() -> None:
    clock = ManualClock()
    limiter = SlidingWindowLimiter(3, 10, clock)
    assert [limiter.acquire("u").allowed for _ in range(3)] == [True, True, True]
    clock.advance(4)
    refused = limiter.acquire("u")
    assert not refused.allowed
    assert refused.reset_after == pytest.approx(6)
    assert refused.retry_after_header == "6"
    clock.advance(6)
    assert limiter.acquire("u").allowed
    assert limiter.acquire("other").remaining == 2


def test_fixed_window_counts_remaining_and_resets() -> None:
    clock = ManualClock()
    limiter = FixedWindowLimiter(2, 60, clock)
    assert limiter.acquire("k").remaining == 1
    assert limiter.acquire("k").remaining == 0
    assert not limiter.acquire("k").allowed
    clock.advance(60)
    assert limiter.acquire("k").allowed


def test_leaky_bucket_drains_at_its_rate() -> None:
    clock = ManualClock()
    limiter = LeakyBucketLimiter(4, 2, clock)  # 4 deep, leaks 2 per second
    assert all(limiter.acquire("t").allowed for _ in range(4))
    refused = limiter.acquire("t")
    assert not refused.allowed
    assert refused.reset_after == pytest.approx(0.5)
    clock.advance(0.5)
    assert limiter.acquire("t").allowed
    assert limiter.level("t") == 4


def test_configure_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        FixedWindowLimiter(0, 1, ManualClock())
