"""Webhook-to-target latency: accounts made in Dynamics 365 at a steady pace, until TIMS has them.

    .venv/bin/python -m bench.webhook_latency [--rate 100] [--seconds 60]

Both sandboxes run in a process of their own (`bench.systems`), their rate limits lifted. This
process serves the `dynamics365-tims` project with ferry's server (`Runner`: control API and
webhook receivers) on a free port, webhooks only (`poll_seconds: null`), so every account reaches
ferry through Dataverse's webhook. The benchmark creates `--rate` accounts a second through the Web
API for `--seconds`, noting when each create was answered (the change is made); TIMS reports each
customer ferry creates through a webhook of its own to a small receiver here, whose `ModifiedAt` is
when TIMS had it. Latency = TIMS `ModifiedAt` - time the Dataverse create was answered (one machine,
one clock). The goal is p99 under 250 ms. Figures depend on the machine: on a shared 2-core machine
the sandboxes, ferry and this load generator compete for the same cores.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench.initial_load import lift_limits, project
from bench.systems import Urls, sandboxes
from ferry.run import assemble
from ferry.run.serve import Listen, Runner
from ferry.sandboxes.kit.server import bind

TIMS_KEY = {"X-API-Key": "tims-sandbox-key"}


class Arrivals:
    """TIMS's `customer.created` webhooks: when each account's customer appeared in TIMS."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}

    async def receive(self, request: Request) -> Response:
        body = await request.json()
        data = body.get("data") or {}
        if data.get("ExternalID") and data.get("ModifiedAt"):
            when = datetime.fromisoformat(data["ModifiedAt"].replace("Z", "+00:00")).timestamp()
            self.at.setdefault(data["ExternalID"], when)
        return Response(status_code=204)


@contextlib.asynccontextmanager
async def receiver(arrivals: Arrivals) -> Any:
    sock = bind("127.0.0.1", 0)
    app = Starlette(routes=[Route("/tims", arrivals.receive, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    server.config.install_signal_handlers = False  # type: ignore[attr-defined]
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event for this
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/tims"
    finally:
        server.should_exit = True
        await task


async def token(session: aiohttp.ClientSession, urls: Urls) -> str:
    async with session.get(f"{urls.d365}/_sandbox/credentials") as r:
        creds = await r.json()
    form = {
        "grant_type": "client_credentials",
        "client_id": creds["client_id"],
        "client_secret": creds["client_secret"],
        "scope": creds["scope"],
    }
    async with session.post(f"{creds['authority']}/oauth2/v2.0/token", data=form) as r:
        return str((await r.json())["access_token"])


def account(n: int) -> dict[str, Any]:
    return {
        "name": f"Latency Welding {n}",
        "customertypecode": 3,
        "emailaddress1": f"buyer{n}@latency-welding.example",
        "address1_line1": f"{n} Foundry Road",
        "address1_city": "Austin",
        "address1_stateorprovince": "TX",
        "address1_postalcode": "78701",
        "address1_country": "United States",
    }


async def run(rate: float, seconds: float) -> None:
    arrivals = Arrivals()
    made: dict[str, float] = {}
    with sandboxes(accounts=10, customers=10) as urls, tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "bench"
        proj = project(root, urls)
        text = (root / "ferry.yaml").read_text().replace("poll_seconds: 60", "poll_seconds: null")
        (root / "ferry.yaml").write_text(text)
        proj = type(proj).load(root)
        assembly = await assemble(proj)
        async with aiohttp.ClientSession() as session, receiver(arrivals) as hook_url:
            await lift_limits(session, urls)
            hook = {"url": hook_url, "events": ["customer.created"], "secret": "bench"}
            async with session.post(f"{urls.tims}/api/v1/webhooks", json=hook, headers=TIMS_KEY) as r:
                r.raise_for_status()
            headers = {"Authorization": f"Bearer {await token(session, urls)}", "Prefer": "return=representation"}
            runner = Runner(assembly, Listen("127.0.0.1", 0))
            try:
                async with runner.running():
                    count = int(rate * seconds)
                    start, cpu = time.perf_counter(), time.process_time()

                    async def create(n: int) -> None:
                        await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
                        url = f"{urls.d365}/api/data/v9.2/accounts?$select=accountid"
                        async with session.post(url, json=account(n), headers=headers) as r:
                            body = await r.json()
                            made[body["accountid"]] = time.time()

                    await asyncio.gather(*(create(n) for n in range(count)))
                    sent_for = time.perf_counter() - start
                    deadline = time.perf_counter() + 30
                    while len(set(made) & set(arrivals.at)) < len(made) and time.perf_counter() < deadline:  # noqa: ASYNC110
                        await asyncio.sleep(0.2)
                    used = time.process_time() - cpu
            finally:
                await assembly.aclose()
    latencies = sorted((arrivals.at[a] - t) * 1000 for a, t in made.items() if a in arrivals.at)
    missing = len(made) - len(latencies)

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] if latencies else float("nan")

    print(f"\nWebhook latency: {len(made):,} accounts at {len(made) / sent_for:,.1f}/s for {sent_for:.0f} s")
    # CPU of this process (ferry, and the load it generates) per account: steadier than latency when the
    # machine is shared, since it leaves out the time spent waiting for a core.
    print(f"CPU of this process: {used / max(1, len(made)) * 1000:.2f} ms per account\n")
    print("| p50 | p90 | p99 | max | mean | arrived | missing |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    mean = statistics.fmean(latencies) if latencies else float("nan")
    print(
        f"| {pct(50):.0f} ms | {pct(90):.0f} ms | {pct(99):.0f} ms | {latencies[-1] if latencies else 0:.0f} ms"
        f" | {mean:.0f} ms | {len(latencies):,} | {missing:,} |"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rate", type=float, default=100.0, help="accounts created per second")
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    asyncio.run(run(args.rate, args.seconds))
