"""Initial load: N Dynamics 365 accounts into TIMS through ferry, beside the TIMS sandbox's own ceiling.

    .venv/bin/python -m bench.initial_load [--accounts 10000] [--workers 32] [--concurrency 32]

Both sandboxes run in a process of their own (`bench.systems`), seeded with N customer accounts in
Dataverse and an empty TIMS; their rate limits are lifted with the `rate_limit` fault, and the
project's client-side limits are raised, so that what is measured is throughput, not pacing.

1. **TIMS ceiling**: N customers POSTed straight to the TIMS API by `--concurrency` concurrent
   aiohttp requests (the same body ferry sends, with an `Idempotency-Key`); then TIMS is reset.
2. **ferry**: the `dynamics365-tims` template project, loaded as `ferry sync --initial` does: both
   sides read page by page into the store (TIMS is empty here), then settled by the engine's workers
   (match by `ExternalID`, email and name in the read's match index, map, create with an idempotency
   key, remember the link).

Read the table: records/s of each, and ferry's share of the ceiling (the product's goal is at least
half). ferry does more per record than the ceiling run (reading it from Dataverse, matching, the
mapping, a durable store), so the ratio is what its overhead costs. Figures depend on the
machine: on a shared 2-core machine the sandbox process and ferry compete for the same cores.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.systems import UNLIMITED, Urls, sandboxes
from ferry.cli.demo import leave_out
from ferry.engine.retry import RetryPolicy
from ferry.engine.runtime import Engine
from ferry.project import Project
from ferry.project.templates import init_project
from ferry.run import assemble

TIMS_KEY = {"X-API-Key": "tims-sandbox-key"}


def project(root: Path, urls: Urls) -> Project:
    init_project(root, "dynamics365-tims")
    text = (root / "ferry.yaml").read_text()
    text = text.replace("http://127.0.0.1:7071", urls.d365).replace("http://127.0.0.1:7072", urls.tims)
    text = text.replace(
        "    client_secret: ${secret:d365-client-secret}\n",
        "    client_secret: ${secret:d365-client-secret}\n    max_requests_per_second: 100000\n",
    )
    text = text.replace(
        "    api_key: ${secret:tims-api-key}\n",
        "    api_key: ${secret:tims-api-key}\n    max_requests_per_second: 100000\n",
    )
    (root / "ferry.yaml").write_text(text.partition("\nworkflows:\n")[0] + "\n")  # no workflows
    # Only the customers sync: the others would read every template entity (the shop's too, which
    # this benchmark does not start).
    others = [s.name for s in Project.load(root).syncs if s.name != "customers"]
    leave_out(root / "ferry.yaml", tuple(others))
    return Project.load(root)


def customer(n: int) -> dict[str, Any]:
    return {
        "CompanyName": f"Ceiling Welding {n}",
        "FirstName": "Dana",
        "LastName": f"Ceiling{n}",
        "Email": f"buyer{n}@ceiling-welding.example",
        "Phone": "+1 512 555 0100",
        "BillingAddress": {
            "Line1": f"{n} Foundry Road",
            "City": "Austin",
            "State": "TX",
            "PostalCode": "78701",
            "Country": "US",
        },
        "CreditLimit": "25000.00",
        "PaymentTerms": "NET30",
        "Currency": "USD",
        "ExternalID": f"ceiling-{n}",
    }


async def lift_limits(session: aiohttp.ClientSession, urls: Urls) -> None:
    for url in (urls.d365, urls.tims):
        async with session.post(f"{url}/_sandbox/faults", json=UNLIMITED) as r:
            r.raise_for_status()


async def ceiling(urls: Urls, n: int, concurrency: int) -> float:
    """Records/s of N creates sent straight to TIMS, `concurrency` at a time."""
    async with aiohttp.ClientSession(headers=TIMS_KEY) as session:
        await lift_limits(session, urls)
        todo = iter(range(n))

        async def worker() -> None:
            for i in todo:
                headers = {"Idempotency-Key": f"ceiling-{i}"}
                async with session.post(f"{urls.tims}/api/v1/customers", json=customer(i), headers=headers) as r:
                    await r.read()
                    if r.status != 201:
                        raise RuntimeError(f"TIMS refused a create: {r.status}")

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
        async with session.post(f"{urls.tims}/_sandbox/reset", json={}) as r:  # empty again for ferry
            r.raise_for_status()
        await lift_limits(session, urls)
    return n / elapsed


async def ferry(urls: Urls, n: int, workers: int) -> tuple[float, dict[str, int]]:
    """Records/s of ferry's initial load of the N accounts into TIMS."""
    with tempfile.TemporaryDirectory() as tmp:
        assembly = await assemble(project(Path(tmp) / "bench", urls))
        engine = Engine(
            assembly.store,
            assembly.syncs,
            assembly.connectors,
            workers=workers,
            retry=RetryPolicy(base_seconds=0.1, max_seconds=2),
        )
        try:
            start = time.perf_counter()
            await engine.read_all()  # as `ferry sync --initial` does: both sides read, then settled
            engine.start_workers()
            await engine.drain()
            elapsed = time.perf_counter() - start
        finally:
            await engine.stop()
            await assembly.aclose()
    return n / elapsed, dict(engine.processor.outcomes)


async def main(n: int, workers: int, concurrency: int) -> None:
    with sandboxes(accounts=n, customers=0) as urls:
        top = await ceiling(urls, n, concurrency)
        rate, outcomes = await ferry(urls, n, workers)
    print(f"\nInitial load of {n:,} accounts (workers={workers}; ceiling at concurrency {concurrency})\n")
    print("| run | records/s | share of ceiling |")
    print("|---|---:|---:|")
    print(f"| TIMS sandbox ceiling (direct creates) | {top:,.0f} | 100% |")
    print(f"| ferry initial load (Dynamics 365 to TIMS) | {rate:,.0f} | {rate / top:.0%} |")
    print(f"\nferry outcomes: {', '.join(f'{v} {k}' for k, v in sorted(outcomes.items()))}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=32, help="ferry's engine workers")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent requests of the ceiling run")
    args = parser.parse_args()
    asyncio.run(main(args.accounts, args.workers, args.concurrency))
