"""Which HTTP client should connectors use? Requests per second and client CPU per request.

Compares `httpx.AsyncClient` with its own transport, `httpx.AsyncClient` over the `httpx-aiohttp`
transport (httpx's API, aiohttp's engine), and a bare `aiohttp.ClientSession`, POSTing a 1.1 KB JSON
order to a minimal uvicorn target in another process, at several concurrencies.

    .venv/bin/python -m bench.http_clients [--seconds 5] [--concurrency 1,8,32]

Only the client process's CPU is counted (the target runs in its own process), so "CPU/req" is
what the connector side would pay per call.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

ORDER = json.dumps(
    {
        "id": 820982911946154508,
        "email": "jon@example.com",
        "total_price": "59.99",
        "line_items": [{"sku": f"SKU-{n}", "quantity": n, "price": "19.99"} for n in range(12)],
        "shipping_address": {"address1": "123 Main St", "city": "Ottawa", "zip": "K2P 1L4"},
    }
).encode()

Post = Callable[[], Awaitable[int]]


@dataclass
class Result:
    client: str
    concurrency: int
    requests: int
    seconds: float
    cpu: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_us(self) -> float:
        return self.cpu / self.requests * 1e6


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@contextlib.asynccontextmanager
async def _httpx(url: str, limit: int) -> AsyncIterator[Post]:
    limits = httpx.Limits(max_connections=limit, max_keepalive_connections=limit)
    async with httpx.AsyncClient(limits=limits) as client:
        yield lambda: _status(client.post(url, content=ORDER, headers={"content-type": "application/json"}))


@contextlib.asynccontextmanager
async def _httpx_aiohttp(url: str, limit: int) -> AsyncIterator[Post]:
    limits = httpx.Limits(max_connections=limit, max_keepalive_connections=limit)
    async with httpx.AsyncClient(transport=AiohttpTransport(limits=limits)) as client:
        yield lambda: _status(client.post(url, content=ORDER, headers={"content-type": "application/json"}))


@contextlib.asynccontextmanager
async def _aiohttp(url: str, limit: int) -> AsyncIterator[Post]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=limit)) as session:

        async def post() -> int:
            async with session.post(url, data=ORDER, headers={"content-type": "application/json"}) as r:
                await r.read()
                return r.status

        yield post


async def _status(pending: Awaitable[httpx.Response]) -> int:
    return (await pending).status_code


CLIENTS = {"httpx": _httpx, "httpx+aiohttp transport": _httpx_aiohttp, "aiohttp": _aiohttp}


async def _run(name: str, url: str, concurrency: int, seconds: float) -> Result:
    async with CLIENTS[name](url, concurrency) as post:

        async def worker(until: float, counter: list[int]) -> None:
            while time.perf_counter() < until:
                status = await post()
                if status != 200:
                    raise RuntimeError(f"target answered {status}")
                counter[0] += 1

        warm = [0]
        await asyncio.gather(*(worker(time.perf_counter() + 1.0, warm) for _ in range(concurrency)))
        done = [0]
        cpu0, t0 = _cpu(), time.perf_counter()
        await asyncio.gather(*(worker(t0 + seconds, done) for _ in range(concurrency)))
        return Result(name, concurrency, done[0], time.perf_counter() - t0, _cpu() - cpu0)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="uvloop")
    args = parser.parse_args()
    run = asyncio.run
    if args.loop == "uvloop":
        import uvloop

        run = uvloop.run
    port = _free_port()
    target = subprocess.Popen([sys.executable, "-m", "bench.http_target", str(port)])
    try:
        for _ in range(100):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.1):
                break
            time.sleep(0.1)
        url = f"http://127.0.0.1:{port}/orders"
        print(f"event loop: {args.loop}\n\n| client | concurrency | req/s | client CPU µs/req |\n|---|---|---|---|")
        for concurrency in (int(c) for c in args.concurrency.split(",")):
            for name in CLIENTS:
                r = run(_run(name, url, concurrency, args.seconds))
                print(f"| {r.client} | {r.concurrency} | {r.rate:,.0f} | {r.cpu_us:,.0f} |", flush=True)
    finally:
        target.terminate()
        target.wait()


if __name__ == "__main__":
    main()
