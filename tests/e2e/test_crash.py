"""`ferry run` killed or stopped in the middle of work: nothing is lost and nothing is applied twice."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sqlite3
import subprocess
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from ferry.engine.store import Link
from tests.e2e.conftest import FERRY, Harness, Systems, clients, eventually, ferry, make_project, polled

UNLIMITED = {"rate_limit": {"requests": 1_000_000, "per_seconds": 1}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def ferry_run(root: Path, port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`ferry run` on the project in a process of its own (killed at the end if still running)."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*FERRY, "run", str(root), "--listen", f"127.0.0.1:{port}"], stdout=out, stderr=subprocess.STDOUT
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def claimed_events(root: Path) -> int:
    with sqlite3.connect(root / ".ferry" / "state.db") as db:
        return int(db.execute("SELECT COUNT(*) FROM events WHERE state='claimed'").fetchone()[0])


async def arrived(tims: httpx.AsyncClient, account_ids: set[str]) -> Counter[str]:
    found: Counter[str] = Counter()
    page: int | None = 1
    while page:
        body = (await tims.get("customers", params={"page": str(page), "pageSize": "500"})).json()
        found.update(c["ExternalID"] for c in body["data"] if c["ExternalID"] in account_ids)
        page = body["nextPage"]
    return found


async def in_step(d365: httpx.AsyncClient, tims: httpx.AsyncClient) -> tuple[int, int, Counter[str]]:
    """Customer accounts, TIMS customers, and how many customers carry each account id."""
    h = Harness(None, None, None, d365, tims)  # type: ignore[arg-type]
    accounts = await h.accounts()
    customers = await h.customers()
    return len(accounts), len(customers), Counter(c["ExternalID"] for c in customers)


async def prepare(root: Path, systems: Systems, count: int) -> set[str]:
    """The project, the systems' own limits lifted, and `count` new accounts waiting in Dataverse."""
    make_project(root, systems)
    async with httpx.AsyncClient(timeout=120) as client:
        for url in (systems.d365_url, systems.tims_url):
            assert (await client.post(f"{url}/_sandbox/faults", json=UNLIMITED)).status_code == 200
        made = await client.post(
            f"{systems.d365_url}/_sandbox/generate", json={"entity": "accounts", "count": count, "wait": True}
        )
    return set(made.json()["ids"])


async def wait_ready(port: int) -> None:
    async with httpx.AsyncClient() as client:

        async def up() -> bool:
            try:
                return (await client.get(f"http://127.0.0.1:{port}/api/health")).status_code == 200
            except httpx.TransportError:
                return False

        await eventually(up, within=60, every=0.1)


async def test_killed_mid_load_and_started_again_loses_nothing_and_duplicates_nothing(
    tmp_path: Path, systems: Systems
) -> None:
    root, port, log = tmp_path / "p", free_port(), tmp_path / "ferry.log"
    account_ids = await prepare(root, systems, 300)
    d365, tims, control = await clients(systems)
    try:
        with ferry_run(root, port, log) as first:
            await wait_ready(port)

            async def some_in_flight() -> bool:
                return len(await arrived(tims, account_ids)) >= 30

            await eventually(some_in_flight, within=60, every=0.05)
            first.send_signal(signal.SIGKILL)  # no chance to tidy up
            first.wait(timeout=30)
        done_at_kill = len(await arrived(tims, account_ids))
        assert done_at_kill < len(account_ids), "the load finished before the kill; nothing was in flight"

        with ferry_run(root, port, log) as second:
            await wait_ready(port)

            async def all_arrived() -> bool:
                return len(await arrived(tims, account_ids)) == len(account_ids)

            await eventually(all_arrived, within=120, every=0.5)
            second.send_signal(signal.SIGTERM)
            assert second.wait(timeout=60) == 0, log.read_text()[-3000:]

        found = await arrived(tims, account_ids)
        assert set(found.values()) == {1}  # each account once in TIMS, whatever was in flight at the kill
        accounts, customers, external_ids = await in_step(d365, tims)
        assert accounts == customers  # every account has one customer and every customer one account
        assert set(external_ids.values()) == {1} and "" not in external_ids
        letters = ferry("dlq", "list", str(root), "--json")
        assert letters.returncode == 0 and json.loads(letters.stdout) == []
        assert "Traceback" not in log.read_text()
    finally:
        for client in (d365, tims, *control.values()):
            await client.aclose()


async def test_sigterm_hands_back_the_work_in_hand_and_a_restart_finishes_it(tmp_path: Path, systems: Systems) -> None:
    root, port, log = tmp_path / "p", free_port(), tmp_path / "ferry.log"
    account_ids = await prepare(root, systems, 200)
    d365, tims, control = await clients(systems)
    try:
        with ferry_run(root, port, log) as first:
            await wait_ready(port)

            async def started() -> bool:
                return len(await arrived(tims, account_ids)) >= 10

            await eventually(started, within=60, every=0.05)
            first.send_signal(signal.SIGTERM)
            assert first.wait(timeout=60) == 0, log.read_text()[-3000:]
        assert claimed_events(root) == 0  # every record in hand was finished or handed back
        assert len(await arrived(tims, account_ids)) < len(account_ids), "nothing was left for the restart"
        status = json.loads(ferry("status", str(root), "--json").stdout)
        assert status[0]["in_flight"] == 0

        with ferry_run(root, port, log) as second:
            await wait_ready(port)

            async def all_arrived() -> bool:
                return len(await arrived(tims, account_ids)) == len(account_ids)

            await eventually(all_arrived, within=120, every=0.5)
            second.send_signal(signal.SIGTERM)
            assert second.wait(timeout=60) == 0
        assert set((await arrived(tims, account_ids)).values()) == {1}
        assert "Traceback" not in log.read_text()
    finally:
        for client in (d365, tims, *control.values()):
            await client.aclose()


async def test_a_crash_between_the_write_and_remembering_it_does_not_duplicate(
    tmp_path: Path, systems: Systems
) -> None:
    async with polled(tmp_path / "p", systems) as h:
        await h.sync()
        made = await h.d365.post(
            "accounts",
            json={
                "name": "Crash Test Cylinders",
                "customertypecode": 3,
                "emailaddress1": "ops@crash-cylinders.example",
                "address1_line1": "1 Valve Street",
                "address1_city": "Denver",
                "address1_country": "United States",
            },
            headers={"Prefer": "return=representation"},
        )
        account_id = made.json()["accountid"]
        store = h.assembly.store
        finish = store.finish
        cut: list[Link] = []

        async def power_cut(claim: Any, *, link: Link | None, **kwargs: Any) -> None:
            if not cut and link is not None and link.left_id == account_id and link.right_id:
                cut.append(link)  # the customer exists in TIMS now; ferry forgets that it made it
                raise RuntimeError("power cut after the write")
            await finish(claim, link=link, **kwargs)

        store.finish = power_cut  # type: ignore[method-assign]
        outcomes = await h.sync()
        await asyncio.sleep(0)
        assert cut, "the write path never reached its commit"
        found = (await h.tims.get("customers", params={"ExternalID": account_id})).json()["data"]
        assert len(found) == 1  # the retry found the customer it had made, and did not make another
        link = await store.link("customers", "left", account_id)
        assert link is not None and link.right_id == str(found[0]["CustomerID"])
        assert outcomes.get("dead", 0) == 0
