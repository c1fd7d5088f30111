"""Reconciliation: how fast ferry compares N synced pairs of Dynamics 365 accounts and TIMS customers, and
how much memory the comparison holds.

    .venv/bin/python -m bench.reconcile [--accounts 5000] [--workers 32]

Both sandboxes run in a process of their own (`bench.systems`), seeded with N accounts and an empty
TIMS, rate limits lifted. The `customers` sync of the `dynamics365-tims` template loads them first (as
`ferry sync --initial`); then a reconciliation reads both sides whole and compares every pair (timed), and
another does it again under `tracemalloc` (its peak memory).

Goals: the comparison reads at least 1,000 records/s (both sides counted) and holds under 4 KB per
record at its peak (it keeps only what the comparison needs of each record, never whole pages of
records). Figures depend on the machine: on a shared 2-core machine the sandbox process and ferry
compete for the same cores.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import tracemalloc
from pathlib import Path

from bench.initial_load import project
from bench.systems import sandboxes
from ferry.engine.reconcile import Reconciler
from ferry.engine.retry import RetryPolicy
from ferry.engine.runtime import Engine
from ferry.run import assemble


async def run(n: int, workers: int) -> None:
    with sandboxes(accounts=n, customers=0) as urls, tempfile.TemporaryDirectory() as tmp:
        assembly = await assemble(project(Path(tmp) / "bench", urls))
        engine = Engine(
            assembly.store,
            [s for s in assembly.syncs if s.name == "customers"],
            assembly.connectors,
            workers=workers,
            retry=RetryPolicy(base_seconds=0.1, max_seconds=2),
        )
        try:
            await engine.read_all()
            engine.start_workers()
            await engine.drain()
            reconciler = Reconciler(assembly.store, engine.syncs, assembly.connectors, processor=engine.processor)
            start = time.perf_counter()
            report = await reconciler.run("customers")
            elapsed = time.perf_counter() - start
            tracemalloc.start()  # a second run, traced (tracing slows it down: not timed)
            await reconciler.run("customers")
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        finally:
            await engine.stop()
            await assembly.aclose()
    counts = report.counts
    records = counts.get("left", 0) + counts.get("right", 0)
    print(f"\nReconciliation of {counts.get('pairs', 0):,} pairs ({records:,} records read)\n")
    print("| measure | value |")
    print("|---|---:|")
    print(f"| time | {elapsed:.1f} s |")
    print(f"| records read and compared per second | {records / elapsed:,.0f} |")
    print(f"| peak memory traced | {peak / 1e6:.1f} MB |")
    print(f"| peak memory per record | {peak / max(records, 1) / 1e3:.1f} KB |")
    print(f"\ndrift found: {report.counts}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--accounts", type=int, default=5_000)
    parser.add_argument("--workers", type=int, default=32, help="ferry's engine workers for the first load")
    args = parser.parse_args()
    asyncio.run(run(args.accounts, args.workers))
