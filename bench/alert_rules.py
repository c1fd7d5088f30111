"""What alerting costs the store: settling changes with and without the `events_finished` index that the
alert rules count windows through, and one evaluation of every rule kind over a store with history.

    .venv/bin/python -m bench.alert_rules [--events 50000] [--days 7]

1. **settle**: `--events` changes enqueued, claimed and finished in batches of 100, as the engine's
   workers do, twice with the index and twice without it: the index's price on the hot path.
2. **evaluate**: the store filled with `--events` old changes and `--days` days of recent history (a
   settled change a minute over the same two hours of each day, one in 17 dead-lettered), then one
   evaluation of an error-rate, lag, dead-letter, held-run and anomaly rule (7-day baseline), timed; the
   goal is well under a second, so that a 30 s cadence is noise beside the engine.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from ferry.alerts import Alerting
from ferry.engine.store import NewEvent, SqliteStore
from ferry.project.alerts import Alerts

RULES = {
    "channels": {"console": {"type": "console"}},
    "rules": [
        {"name": "failing", "kind": "error_rate"},
        {"name": "behind", "kind": "lag"},
        {"name": "dead-letters", "kind": "dlq_size", "threshold": 1000000},
        {"name": "held", "kind": "held_runs"},
        {"name": "unusual", "kind": "anomaly", "days": 7},
    ],
}


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


async def settle(store: SqliteStore, n: int, *, start: int = 0, dead_every: int = 0) -> None:
    for first in range(start, start + n, 100):
        ids = range(first, min(first + 100, start + n))
        await store.enqueue([NewEvent("customers", "left", f"r{i}", version="1") for i in ids])
        for claim in await store.claim(worker="b", limit=100, lease_seconds=60):
            if dead_every and int(claim.record_id[1:]) % dead_every == 0:
                await store.dead_letter(claim, error_class="ValidationError", error="refused", payload=None)
            else:
                await store.finish(claim, link=None, audit=())


async def settle_rate(path: Path, n: int, *, index: bool) -> float:
    store = SqliteStore(path, synchronous="NORMAL")
    await store.open()
    try:
        if not index:
            await store._run(lambda c: c.execute("DROP INDEX events_finished"))
        began = time.perf_counter()
        await settle(store, n)
        return n / (time.perf_counter() - began)
    finally:
        await store.close()


async def evaluation_seconds(path: Path, days: int, bulk: int) -> tuple[float, int]:
    clock = Clock()
    now = clock.now
    store = SqliteStore(path, synchronous="OFF", clock=clock)
    await store.open()
    try:
        clock.now = now - (days + 3) * 86400  # older history, outside every window: what the indexes skip
        await settle(store, bulk, start=10**9)
        done = 0
        for day in range(days, -1, -1):
            for second in range(0, 7200, 1):
                if second % 60:  # one change a minute keeps the fill quick; the windows still hold 120 a day
                    continue
                clock.now = now - day * 86400 - 7200 + second
                await settle(store, 1, start=done, dead_every=17)
                done += 1
        clock.now = now
        alerting = Alerting("bench", store, Alerts.model_validate(RULES), {}, syncs=["customers"])
        began = time.perf_counter()
        await alerting.evaluate()
        return time.perf_counter() - began, done
    finally:
        await store.close()


async def main(events: int, days: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        # Alternated and the best of two each, so neither gains from going second on a shared machine.
        rates: dict[bool, list[float]] = {True: [], False: []}
        for n, index in enumerate((False, True, True, False)):
            rates[index].append(await settle_rate(root / f"{n}.db", events, index=index))
        with_index, without = max(rates[True]), max(rates[False])
        seconds, recent = await evaluation_seconds(root / "c.db", days, events)
    print(f"settle, with the events_finished index:    {with_index:9.0f} changes/s")
    print(f"settle, without it:                         {without:9.0f} changes/s  ({with_index / without:.0%})")
    print(f"one evaluation of 5 rules, {events + recent} settled changes stored: {seconds * 1000:.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=50000)
    parser.add_argument("--days", type=int, default=7)
    args = parser.parse_args()
    asyncio.run(main(args.events, args.days))
