"""Order to cash: N storefront orders through the `order-to-cash` workflow, webhook to payment.

    .venv/bin/python -m bench.order_to_cash [--orders 1000] [--per-second 20] [--shop plus|lifted] [--json out.json]

The three sandboxes (Dynamics 365, TIMS, storefront) run in a process of their own (`bench.systems`);
ferry runs in this one as `ferry run` runs it (webhooks from all three, workflow workers, the syncs
the workflow uses: customers, products, sales-orders, invoices). The storefront's checkouts are
generated at `--per-second` (`POST /_sandbox/generate`): 85% paid by card, the rest pending or
authorized, 80% from the shop's existing customers and 20% from new ones. Two actors stand in for
people: a warehouse that ships every order TIMS has allocated (polling every half second), and a
payments clerk that captures the payment of each order whose run waits for it.

Limits: Dynamics 365 and TIMS have their rate limits lifted (the `rate_limit` fault), as in the other
benchmarks, so what is measured is ferry; the storefront keeps a Shopify Plus bucket (`--shop plus`,
the default: 400 deep, draining 20 a second, which the connection is configured for), or has it
lifted too (`--shop lifted`) to see what ferry itself reaches. The shop's bucket bounds the rate to
(calls a second) / (calls per order) orders a second: about 2 / 5 on a standard plan, 20 / 5 on
Plus; the table prints the calls per order so that bound can be read off.

The table: orders per second from the first checkout to the last payment, and per order the time
from the checkout to its sales order allocated in TIMS (ferry's own latency: the webhook, customer,
products, Dynamics order, TIMS order, allocation, stock) and to its invoice (which includes the
warehouse's half-second polling), p50 and p99; and how many runs were held, with their reasons.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp

from bench.systems import UNLIMITED, Urls, sandboxes
from ferry.engine.retry import RetryPolicy
from ferry.engine.store.base import Run
from ferry.project import Project
from ferry.project.templates import init_project
from ferry.run import assemble
from ferry.run.serve import Listen, Runner
from ferry.sandboxes.storefront import ACCESS_TOKEN

TIMS_KEY = {"X-API-Key": "tims-sandbox-key"}
SHOP_KEY = {"X-Shopify-Access-Token": ACCESS_TOKEN}
SYNCS = ("customers", "products", "sales-orders", "invoices")
WORKFLOW = "order-to-cash"
PLUS = {"rate_limit": {"requests": 400, "per_seconds": 20}}  # 400 deep, 20 a second
#: The connection's view of the shop's bucket, per `--shop`.
BUCKETS = {"plus": (400, 20), "lifted": (1_000_000, 100_000)}


def project(root: Path, urls: Urls, shop: str) -> Project:
    """The template with only the syncs the workflow uses and only order to cash, at these sandboxes."""
    assert urls.shop is not None
    init_project(root, "dynamics365-tims")
    text, _, _ = (root / "ferry.yaml").read_text().partition("\nworkflows:\n")
    head, _, rest = text.partition("syncs:\n")
    blocks = ["  - name: " + b for b in rest.split("  - name: ") if b and b.split()[0] in SYNCS]
    text = f"{head}syncs:\n{''.join(blocks)}\nworkflows:\n  - name: {WORKFLOW}\n    file: workflows/{WORKFLOW}.yaml\n"
    text = text.replace("http://127.0.0.1:7071", urls.d365).replace("http://127.0.0.1:7072", urls.tims)
    text = text.replace("http://127.0.0.1:7073", urls.shop)
    for secret in ("client_secret: ${secret:d365-client-secret}", "api_key: ${secret:tims-api-key}"):
        text = text.replace(f"    {secret}\n", f"    {secret}\n    max_requests_per_second: 100000\n")
    text = text.replace(
        "    webhook_secret: ${secret:shop-webhook-secret}\n",
        "    webhook_secret: ${secret:shop-webhook-secret}\n"
        f"    bucket_size: {BUCKETS[shop][0]}\n    leak_rate: {BUCKETS[shop][1]}\n",
    )
    (root / "ferry.yaml").write_text(text)
    return Project.load(root)


async def prepare(session: aiohttp.ClientSession, urls: Urls, shop: str) -> None:
    """Limits as described above, and TIMS stocked deep enough that no order waits for stock."""
    assert urls.shop is not None
    shop_faults = PLUS if shop == "plus" else UNLIMITED
    for url, faults in ((urls.d365, UNLIMITED), (urls.tims, UNLIMITED), (urls.shop, shop_faults)):
        async with session.post(f"{url}/_sandbox/faults", json=faults) as r:
            r.raise_for_status()
    page: int | None = 1
    while page:
        params = {"page": str(page), "pageSize": "500", "Warehouse": "MAIN"}
        async with session.get(f"{urls.tims}/api/v1/inventory", params=params, headers=TIMS_KEY) as r:
            body = await r.json()
        for row in body["data"]:
            adjustment = {"SKU": row["SKU"], "Warehouse": "MAIN", "QuantityDelta": 100_000, "Reason": "Receipt"}
            async with session.post(f"{urls.tims}/api/v1/inventory-adjustments", json=adjustment, headers=TIMS_KEY):
                pass
        page = body["nextPage"]


async def warehouse(session: aiohttp.ClientSession, urls: Urls, stop: asyncio.Event) -> int:
    """Ship every allocated TIMS order, as the warehouse would; the number shipped."""
    shipped = 0
    while not stop.is_set():
        params = {"OrderStatus": "Allocated", "pageSize": "500"}
        async with session.get(f"{urls.tims}/api/v1/sales-orders", params=params, headers=TIMS_KEY) as r:
            orders = (await r.json())["data"]
        for order in orders:
            shipment = {"SalesOrderID": order["SalesOrderID"], "Carrier": "UPS"}
            shipment["TrackingNumber"] = f"1Z{order['SalesOrderID']:014d}"
            async with session.post(f"{urls.tims}/api/v1/shipments", json=shipment, headers=TIMS_KEY) as r:
                shipped += r.status == 201
        await asyncio.sleep(0.5)
    return shipped


async def clerk(session: aiohttp.ClientSession, urls: Urls, runner: Runner, stop: asyncio.Event) -> int:
    """Capture the payment of each order whose run waits for it; the number captured."""
    captured: set[str] = set()
    store = runner.engine.store
    while not stop.is_set():
        for run in await store.runs.list(workflow=WORKFLOW, state="waiting", limit=10_000):
            if run.step == "paid" and run.key not in captured:
                url = f"{urls.shop}/admin/api/2025-07/orders/{run.key}/transactions.json"
                async with session.post(url, json={"transaction": {"kind": "capture"}}, headers=SHOP_KEY) as r:
                    if r.status in (201, 422):  # 422: nothing left to capture
                        captured.add(run.key)
        await asyncio.sleep(1.0)
    return len(captured)


def seconds(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else (end - start).total_seconds()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def measure(n: int, per_second: float, shop: str) -> dict[str, Any]:
    with sandboxes(accounts=50, customers=20, shop_customers=600) as urls, tempfile.TemporaryDirectory() as tmp:
        assert urls.shop is not None
        async with aiohttp.ClientSession() as session:
            await prepare(session, urls, shop)
            assembly = await assemble(project(Path(tmp) / "bench", urls, shop))
            runner = Runner(assembly, Listen("127.0.0.1", 0), retry=RetryPolicy(base_seconds=0.2, max_seconds=5))
            try:
                async with runner.running():
                    async with asyncio.timeout(300):
                        await runner.engine.drain()  # the products and customers read before the orders
                    async with session.get(f"{urls.shop}/_sandbox/stats") as r:
                        shop_calls_before = (await r.json())["requests"]
                    stop = asyncio.Event()
                    actors = [
                        asyncio.create_task(warehouse(session, urls, stop)),
                        asyncio.create_task(clerk(session, urls, runner, stop)),
                    ]
                    started = time.perf_counter()
                    order = {"entity": "orders", "count": n, "per_second": per_second}
                    async with session.post(f"{urls.shop}/_sandbox/generate", json=order) as r:
                        r.raise_for_status()
                    runs = await until_settled(runner, n)
                    elapsed = time.perf_counter() - started
                    stop.set()
                    shipped, captured = await asyncio.gather(*actors)
                    async with session.get(f"{urls.shop}/_sandbox/stats") as r:
                        shop_calls = (await r.json())["requests"] - shop_calls_before
            finally:
                await assembly.aclose()
    return {"shop_limit": shop, **summary(runs, n, per_second, elapsed, shipped, captured, shop_calls)}


async def until_settled(runner: Runner, n: int) -> list[Run]:
    """Every run once all N have ended (completed, held or failed), with a progress line."""
    store = runner.engine.store
    deadline = time.monotonic() + max(600.0, n * 2.0)
    while True:
        counts = (await store.runs.counts()).get(WORKFLOW, {})
        ended = sum(counts.get(state, 0) for state in ("completed", "held", "failed", "compensated", "cancelled"))
        print(f"\r  runs: {sum(counts.values()):5d} started, {ended:5d} ended {dict(sorted(counts.items()))}", end="")
        if ended >= n or time.monotonic() > deadline:
            print()
            break
        await asyncio.sleep(1.0)
    found = []
    for run in await store.runs.list(workflow=WORKFLOW, limit=n + 100):
        full = await store.runs.get(run.id)
        if full is not None:
            found.append(full)
    return found


CAUSES = {
    "exceeds the remaining credit": "over the credit limit",
    "is not active": "an item TIMS has deactivated",
    "Email": "an email TIMS refuses",
    "unknown SKU": "an unknown SKU",
    "Not enough stock": "not enough stock",
}


def cause(run: Run) -> str:
    """Why a run did not complete, in a few words (the full reason is in `ferry workflow show`)."""
    reason = run.reason or run.state
    named = next((label for text, label in CAUSES.items() if text in reason), reason[:60])
    return f"{run.step}: {named}"


def summary(
    runs: list[Run], n: int, per_second: float, elapsed: float, shipped: int, captured: int, shop_calls: int
) -> dict[str, Any]:
    completed = [r for r in runs if r.state == "completed"]
    allocated = [
        t for r in runs if "allocate" in r.steps for t in [seconds(r.created_at, r.steps["allocate"].finished_at)]
    ]
    invoiced = [
        t for r in runs if "invoice" in r.steps for t in [seconds(r.created_at, r.steps["invoice"].finished_at)]
    ]
    allocated_s = [t for t in allocated if t is not None]
    invoiced_s = [t for t in invoiced if t is not None]
    held = Counter(cause(r) for r in runs if r.state != "completed")
    return {
        "orders": n,
        "generated_per_second": per_second,
        "runs": len(runs),
        "completed": len(completed),
        "elapsed_seconds": round(elapsed, 1),
        "orders_per_second": round(len(completed) / elapsed, 2),
        "to_allocated_p50": round(statistics.median(allocated_s), 3) if allocated_s else None,
        "to_allocated_p99": round(percentile(allocated_s, 0.99), 3) if allocated_s else None,
        "to_invoiced_p50": round(statistics.median(invoiced_s), 3) if invoiced_s else None,
        "to_invoiced_p99": round(percentile(invoiced_s, 0.99), 3) if invoiced_s else None,
        "shipped_by_warehouse": shipped,
        "captured_by_clerk": captured,
        "shop_calls_per_order": round(shop_calls / max(1, len(runs)), 2),
        "not_completed": dict(held),
    }


def table(result: dict[str, Any]) -> str:
    rows = [
        ("orders generated (per second)", f"{result['orders']:,} ({result['generated_per_second']:g}/s)"),
        ("runs completed", f"{result['completed']:,} of {result['runs']:,}"),
        ("elapsed, first checkout to last payment", f"{result['elapsed_seconds']:,} s"),
        ("orders completed per second", f"{result['orders_per_second']:,}"),
        (
            "checkout -> allocated in TIMS, p50 / p99",
            f"{result['to_allocated_p50']} s / {result['to_allocated_p99']} s",
        ),
        ("checkout -> invoiced, p50 / p99", f"{result['to_invoiced_p50']} s / {result['to_invoiced_p99']} s"),
        ("storefront API calls per order", f"{result['shop_calls_per_order']}"),
        ("not completed, by step", json.dumps(result["not_completed"]) or "none"),
    ]
    lines = ["| measure | value |", "|---|---:|", *(f"| {a} | {b} |" for a, b in rows)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--per-second", type=float, default=20.0)
    parser.add_argument("--shop", choices=sorted(BUCKETS), default="plus", help="The storefront's rate limit.")
    parser.add_argument("--json", type=Path, help="Also write the figures to this file.")
    args = parser.parse_args()
    result = asyncio.run(measure(args.orders, args.per_second, args.shop))
    print(f"\nOrder to cash, {args.orders:,} storefront orders (storefront rate limit: {args.shop})\n")
    print(table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
