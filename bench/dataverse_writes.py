"""How should the Dynamics 365 connector send many writes? `$batch` against `UpsertMultiple`.

Upserts N accounts by alternate key (`accountnumber`) into the Dataverse sandbox, served by
`ferry sandbox dynamics365` in another process so that the server's CPU is not the client's:

- `$batch`: the connector's own `write()` (one PATCH per account, `batch_size` per `$batch`, one
  result per account with its id, version and created flag);
- `UpsertMultiple`: `POST accounts/Microsoft.Dynamics.CRM.UpsertMultiple` with up to `batch_size`
  targets per call (all or nothing per call; the answer carries only the ids).

    .venv/bin/python -m bench.dataverse_writes [--accounts 1000] [--batch-size 100] [--rounds 3]

Each strategy runs on a freshly reset sandbox, once creating the accounts and once updating them.
"calls" are HTTP requests the sandbox served; each counts once against Dataverse's request limit
(6,000 per 5 minutes per user) whether it carries one write or a hundred.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from ferry.connectors.dynamics365 import DataverseConfig, DataverseConnector
from ferry.core.records import WriteKind, WriteOp
from ferry.http import HttpClient

TENANT = "ferrysandbox.onmicrosoft.com"
CLIENT_ID = "51f81489-12ee-4a9e-aaae-a2591f45987d"
CLIENT_SECRET = "ferry-dataverse-sandbox-secret"  # the sandbox's published test credential

Strategy = Callable[[DataverseConnector, list[dict[str, Any]], int], Awaitable[int]]


def _accounts(n: int, label: str) -> list[dict[str, Any]]:
    return [
        {"accountnumber": f"BENCH-{i:06d}", "name": f"Bench {label} {i}", "telephone1": f"555-{i:04d}"}
        for i in range(n)
    ]


async def via_batch(conn: DataverseConnector, rows: list[dict[str, Any]], batch_size: int) -> int:
    ops = [
        WriteOp(
            WriteKind.UPSERT,
            "accounts",
            {k: v for k, v in r.items() if k != "accountnumber"},
            key={"accountnumber": r["accountnumber"]},
        )
        for r in rows
    ]
    results = await conn.write(ops)
    return sum(r.ok for r in results)


async def via_upsert_multiple(conn: DataverseConnector, rows: list[dict[str, Any]], batch_size: int) -> int:
    done = 0
    for start in range(0, len(rows), batch_size):
        chunk = rows[start : start + batch_size]
        targets = [
            {
                "@odata.type": "Microsoft.Dynamics.CRM.account",
                "@odata.id": f"accounts(accountnumber='{r['accountnumber']}')",
                **{k: v for k, v in r.items() if k != "accountnumber"},
            }
            for r in chunk
        ]
        response = await conn.client.request(
            "POST", "accounts/Microsoft.Dynamics.CRM.UpsertMultiple", json={"Targets": targets}
        )
        done += len(response.json()["Ids"])
    return done


async def _run(url: str, strategy: Strategy, accounts: int, batch_size: int) -> list[tuple[str, float, int]]:
    """(phase, writes per second, HTTP calls) for creating, then updating, `accounts` accounts."""
    admin = HttpClient(url, system="sandbox")
    await admin.request("POST", "/_sandbox/reset", json={})
    await admin.aclose()
    config = DataverseConfig(
        url=url,
        tenant=TENANT,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,  # type: ignore[arg-type]
        authority_host=url,
        batch_size=batch_size,
        max_requests_per_second=1_000_000,  # measure the protocol, not the client-side limit
    )
    conn = DataverseConnector(config)
    out = []
    try:
        await conn.check()
        await conn.catalog()
        for label in ("create", "update"):
            rows = _accounts(accounts, label)
            before = await _counted(url)
            t0 = time.perf_counter()
            written = await strategy(conn, rows, batch_size)
            seconds = time.perf_counter() - t0
            assert written == accounts, f"{strategy.__name__} wrote {written} of {accounts}"
            out.append((label, accounts / seconds, await _counted(url) - before))
    finally:
        await conn.aclose()
    return out


async def _counted(url: str) -> int:
    """API requests the sandbox has served (its control surface is not counted)."""
    admin = HttpClient(url, system="sandbox")
    try:
        stats = (await admin.request("GET", "/_sandbox/stats")).json()
    finally:
        await admin.aclose()
    return int(stats["requests"])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3, help="Runs per strategy; the best is reported.")
    args = parser.parse_args()
    port = _free_port()
    ferry = Path(sys.executable).with_name("ferry")
    server = subprocess.Popen([str(ferry), "sandbox", "dynamics365", "--port", str(port)], stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(url)
        print(f"{args.accounts} accounts, {args.batch_size} per call, best of {args.rounds}")
        print(f"{'strategy':<16}{'phase':<8}{'writes/s':>10}{'calls':>8}")
        for name, strategy in (("$batch", via_batch), ("UpsertMultiple", via_upsert_multiple)):
            runs = [asyncio.run(_run(url, strategy, args.accounts, args.batch_size)) for _ in range(args.rounds)]
            for phase in range(2):
                label, _rate, _calls = runs[0][phase]
                best = max(r[phase][1] for r in runs)
                calls = min(r[phase][2] for r in runs)
                print(f"{name:<16}{label:<8}{best:>10,.0f}{calls:>8}")
    finally:
        server.terminate()
        server.wait()


def _wait_for(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the sandbox did not start")


if __name__ == "__main__":
    main()
