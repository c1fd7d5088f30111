"""With both systems misbehaving (5xx, 429 storms, latency, expired tokens, cut connections), a batch of
changes still ends in the right state on both sides, with no duplicates and nothing dead-lettered."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

from ferry.core.errors import FerryError
from ferry.engine.retry import RetryPolicy
from tests.e2e.conftest import Harness, Systems, polled

#: Fast, but patient enough for a 30% failure rate on every request.
PATIENT = RetryPolicy(base_seconds=0.05, max_seconds=0.4, max_attempts=60)


async def faults(h: Harness, **settings: Any) -> None:
    for client in h.control.values():
        r = await client.post("/_sandbox/faults", json=settings)
        assert r.status_code == 200, r.text


async def sync_through_faults(h: Harness, *, within: float = 120) -> None:
    """Poll (a poll may fail too: try again) and settle, until a round finds nothing new."""
    async with asyncio.timeout(within):
        while True:
            before = dict(h.engine.processor.outcomes)
            for poller in h.engine.pollers:
                while True:
                    try:
                        await poller.poll_once()
                        break
                    except FerryError:
                        await asyncio.sleep(0.05)
            await h.engine.drain()
            if h.engine.processor.outcomes == before:
                return


async def changes_made_before_the_faults(h: Harness, *, accounts: int, edits: int) -> tuple[set[str], list[Any]]:
    """After a first load: `accounts` new accounts in Dynamics and `edits` renamed customers in TIMS."""
    for breaker in h.engine.breakers.values():
        breaker.cooldown = 0.5  # the default 30 s would only make these tests slow
    await h.sync()
    customers = [c for c in await h.customers() if c["ExternalID"]][:edits]
    made = await h.control["d365"].post(
        "/_sandbox/generate", json={"entity": "accounts", "count": accounts, "wait": True}
    )
    for n, customer in enumerate(customers):
        r = await h.tims.patch(f"customers/{customer['CustomerID']}", json={"CompanyName": f"Faulty Co {n}"})
        assert r.status_code == 200
    return set(made.json()["ids"]), customers


async def assert_converged(h: Harness, new_accounts: set[str], renamed: list[Any]) -> None:
    await faults(h, error_rate=0, latency_ms=0, drop_connections_rate=0, rate_limit=None, expire_tokens=False)
    await h.sync()
    assert await h.assembly.store.dead_letters() == []
    all_customers = await h.customers()
    by_account = Counter(c["ExternalID"] for c in all_customers)
    assert all(by_account[a] == 1 for a in new_accounts)  # every new account arrived, once
    assert set(by_account.values()) == {1}
    accounts = await h.accounts()
    assert len(accounts) == len(all_customers)  # nothing made twice on either side
    names = {a["accountid"]: a["name"] for a in accounts}
    for n, customer in enumerate(renamed):
        assert names[customer["ExternalID"]] == f"Faulty Co {n}"


async def test_changes_converge_through_a_thirty_percent_rate_of_503s(tmp_path: Path, systems: Systems) -> None:
    async with polled(tmp_path / "p", systems, retry=PATIENT) as h:
        new_accounts, renamed = await changes_made_before_the_faults(h, accounts=3, edits=2)
        await faults(h, error_rate=0.3, error_status=503)
        await sync_through_faults(h)
        assert h.engine.processor.outcomes.get("retry", 0) > 0  # the faults were felt (and Retry-After waited)
        await assert_converged(h, new_accounts, renamed)


async def test_changes_converge_through_throttling_latency_expired_tokens_and_cut_connections(
    tmp_path: Path, systems: Systems
) -> None:
    async with polled(tmp_path / "p", systems, retry=PATIENT) as h:
        new_accounts, renamed = await changes_made_before_the_faults(h, accounts=40, edits=10)
        await faults(
            h,
            latency_ms=20,
            drop_connections_rate=0.05,
            rate_limit={"requests": 40, "per_seconds": 1},  # a storm of 429s at ferry's pace
            expire_tokens=True,
        )

        async def tokens_back() -> None:
            await asyncio.sleep(1.0)
            await faults(h, expire_tokens=False)

        restore = asyncio.create_task(tokens_back())
        await sync_through_faults(h)
        await restore
        outcomes = h.engine.processor.outcomes
        assert outcomes.get("retry", 0) + outcomes.get("waiting", 0) > 0
        stats = [(await c.get("/_sandbox/stats")).json()["by_status"] for c in h.control.values()]
        assert any(s.get("429") for s in stats) and any(s.get("401") for s in stats)
        await assert_converged(h, new_accounts, renamed)
