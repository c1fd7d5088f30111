"""The Dynamics 365 and TIMS sandboxes (and the storefront) served in a process of their own, for the benchmarks.

The benchmark's client (ferry, or a direct load) and the systems it talks to must not share a CPU
budget through one interpreter: a server in another process is what ferry meets in production.

    python -m bench.systems ACCOUNTS CUSTOMERS [SHOP_CUSTOMERS]
    # prints {"d365": URL, "tims": URL, "shop": URL or null}, serves until stdin closes
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

UNLIMITED = {"rate_limit": {"requests": 10_000_000, "per_seconds": 1}}


@dataclass(frozen=True)
class Urls:
    d365: str
    tims: str
    shop: str | None = None


@contextlib.contextmanager
def sandboxes(accounts: int, customers: int, shop_customers: int | None = None) -> Iterator[Urls]:
    """Start both sandboxes (with these seeded sizes) in another process, and the storefront with
    `shop_customers` customers and no orders when that is given; stop them at the end."""
    shop = [] if shop_customers is None else [str(shop_customers)]
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.systems", str(accounts), str(customers), *shop],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        assert process.stdout is not None
        urls = json.loads(process.stdout.readline())
        yield Urls(urls["d365"], urls["tims"], urls.get("shop"))
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _serve(accounts: int, customers: int, shop_customers: int | None) -> None:
    from ferry.sandboxes.dynamics365 import Dynamics365Sandbox
    from ferry.sandboxes.kit.base import Sandbox
    from ferry.sandboxes.kit.server import bind, serving
    from ferry.sandboxes.storefront import StorefrontSandbox
    from ferry.sandboxes.tims import TimsSandbox

    d365 = Dynamics365Sandbox(sizes={"accounts": accounts, "vendors": 1, "salesorders": 0, "msdyn_purchaseorders": 0})
    tims = TimsSandbox(sizes={"customers": customers, "sales-orders": 0, "purchase-orders": 0})
    served: list[Sandbox] = [d365, tims]
    shop = None
    if shop_customers is not None:
        shop = StorefrontSandbox(sizes={"customers": shop_customers, "orders": 0})
        served.append(shop)
    sockets = [bind("127.0.0.1", 0) for _ in served]
    for sandbox, sock in zip(served, sockets, strict=True):
        sandbox.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    async with serving(served, sockets):
        urls = {"d365": d365.base_url, "tims": tims.base_url, "shop": shop.base_url if shop else None}
        print(json.dumps(urls), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the parent closes it


if __name__ == "__main__":
    asyncio.run(_serve(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else None))
