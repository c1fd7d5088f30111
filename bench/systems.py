"""The Dynamics 365 and TIMS sandboxes served in a process of their own, for the benchmarks.

The benchmark's client (ferry, or a direct load) and the systems it talks to must not share a CPU
budget through one interpreter: a server in another process is what ferry meets in production.

    python -m bench.systems ACCOUNTS CUSTOMERS    # prints {"d365": URL, "tims": URL}, serves until stdin closes
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


@contextlib.contextmanager
def sandboxes(accounts: int, customers: int) -> Iterator[Urls]:
    """Start both sandboxes (with these seeded sizes) in another process; stop them at the end."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.systems", str(accounts), str(customers)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        assert process.stdout is not None
        urls = json.loads(process.stdout.readline())
        yield Urls(urls["d365"], urls["tims"])
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _serve(accounts: int, customers: int) -> None:
    from ferry.sandboxes.dynamics365 import Dynamics365Sandbox
    from ferry.sandboxes.kit.server import bind, serving
    from ferry.sandboxes.tims import TimsSandbox

    d365 = Dynamics365Sandbox(sizes={"accounts": accounts, "vendors": 1, "salesorders": 0, "msdyn_purchaseorders": 0})
    tims = TimsSandbox(sizes={"customers": customers, "sales-orders": 0, "purchase-orders": 0})
    sockets = [bind("127.0.0.1", 0), bind("127.0.0.1", 0)]
    for sandbox, sock in zip((d365, tims), sockets, strict=True):
        sandbox.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    async with serving([d365, tims], sockets):
        print(json.dumps({"d365": d365.base_url, "tims": tims.base_url}), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the parent closes it


if __name__ == "__main__":
    asyncio.run(_serve(int(sys.argv[1]), int(sys.argv[2])))
