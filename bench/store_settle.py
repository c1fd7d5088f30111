"""The store's part of the relay hot path: enqueue, claim and settle N records, with and without the
overview charts' index on settled events (`events_finished`), in the same process, turn about.

    .venv/bin/python -m bench.store_settle [--records 20000] [--workers 32] [--rounds 3]

Each round opens a fresh store (durable, `synchronous=FULL` as `ferry run` uses), enqueues the
records in pages of 100, then `--workers` tasks claim 4 at a time and finish them, as the engine's
workers do, and reports settled records per second and the process's CPU time per record (the
steadier figure on a shared machine: it leaves out time spent waiting for a core). "without" drops
the index first: the store as it was before the charts. Rounds alternate, so load from elsewhere on
the machine hits both alike.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from ferry.engine.store import NewEvent, SqliteStore


async def settle(path: Path, records: int, workers: int, *, index: bool) -> tuple[float, float]:
    store = SqliteStore(path)
    await store.open()
    try:
        if not index:
            await store._run(lambda c: c.execute("DROP INDEX events_finished"))
        for start in range(0, records, 100):
            page = [NewEvent("customers", "left", f"r{n}", version="1") for n in range(start, start + 100)]
            await store.enqueue(page)
        done = 0
        began, cpu = time.perf_counter(), time.process_time()

        async def work(name: str) -> None:
            nonlocal done
            while claims := await store.claim(worker=name, limit=4, lease_seconds=60):
                for claim in claims:
                    await store.finish(claim, link=None, audit=[])
                    done += 1

        await asyncio.gather(*(work(f"w{n}") for n in range(workers)))
        elapsed, used = time.perf_counter() - began, time.process_time() - cpu
    finally:
        await store.close()
    assert done == records, (done, records)
    return records / elapsed, used / records * 1e6


async def main(records: int, workers: int, rounds: int) -> None:
    figures: dict[str, list[tuple[float, float]]] = {"with": [], "without": []}
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(rounds):
            for label in ("without", "with") if n % 2 == 0 else ("with", "without"):
                path = Path(tmp) / f"{label}-{n}.db"
                figures[label].append(await settle(path, records, workers, index=label == "with"))
    print(f"\nStore settle: {records:,} records, {workers} workers, {rounds} rounds each\n")
    print("| events_finished index | median records/s | median CPU µs/record | each round (records/s) |")
    print("|---|---:|---:|---|")
    for label, runs in figures.items():
        rates, cpu = [r for r, _ in runs], [c for _, c in runs]
        each = ", ".join(f"{r:,.0f}" for r in rates)
        print(f"| {label} | {statistics.median(rates):,.0f} | {statistics.median(cpu):,.0f} | {each} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.records, args.workers, args.rounds))
