"""End-to-end: the real connectors and mappings, both sandboxes on real sockets, the engine in-process."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from ferry.access import AccessStore
from ferry.engine.retry import RetryPolicy
from ferry.engine.runtime import Engine
from ferry.project import Project
from ferry.project.templates import init_project
from ferry.run import Assembly, assemble
from ferry.run.serve import Listen, Runner
from ferry.sandboxes.dynamics365 import Dynamics365Sandbox
from ferry.sandboxes.kit.server import running
from ferry.sandboxes.storefront import StorefrontSandbox
from ferry.sandboxes.tims import TimsSandbox

TIMS_KEY = {"X-API-Key": "tims-sandbox-key"}
#: A Dynamics 365 customer account TIMS cannot take: its country has no ISO code, so it dead-letters.
UNMAPPABLE_ACCOUNT = {
    "name": "Nowhere Gas Supply",
    "customertypecode": 3,
    "address1_line1": "7 Lost Lane",
    "address1_city": "Springfield",
    "address1_country": "Atlantis",
}
#: The `ferry` command, run as a user runs it: in a process of its own.
FERRY = [sys.executable, "-c", "from ferry.cli.main import main; main()"]
T = TypeVar("T")


def ferry(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FERRY, *args], capture_output=True, text=True, timeout=timeout)


async def ferry_beside(*args: str) -> subprocess.CompletedProcess[str]:
    """`ferry` while the test's own engine runs in this event loop, which must go on meanwhile."""
    return await asyncio.to_thread(ferry, *args)


async def replay_letter(h: Harness, root: Path, letter_id: int) -> None:
    """Replay one dead letter with the CLI, as a person would, and let the engine settle it."""
    replayed = ferry("dlq", "replay", str(letter_id), "--project", str(root))
    assert replayed.returncode == 0 and "1 record(s) queued again" in replayed.stdout, replayed.stdout
    h.engine.wake()
    await asyncio.sleep(0.6)  # the workers look for new work at least twice a second
    async with asyncio.timeout(60):
        await h.engine.drain()


@dataclass
class Systems:
    d365: Dynamics365Sandbox
    d365_url: str
    tims: TimsSandbox
    tims_url: str
    #: The storefront, for the tests of flows that start or end there (`shop_systems`).
    shop: StorefrontSandbox | None = None
    shop_url: str = "http://127.0.0.1:7073"


@pytest.fixture
def systems() -> Iterator[Systems]:
    d365 = Dynamics365Sandbox(sizes={"accounts": 25, "vendors": 2, "salesorders": 2, "msdyn_purchaseorders": 1})
    tims = TimsSandbox(sizes={"customers": 15, "sales-orders": 2})
    with running(d365) as d365_url, running(tims) as tims_url:
        yield Systems(d365, d365_url, tims, tims_url)


@contextlib.contextmanager
def without_history() -> Iterator[Systems]:
    """Small sandboxes without order, invoice or journal history: the only documents are a test's own."""
    d365 = Dynamics365Sandbox(sizes={"accounts": 10, "vendors": 1, "salesorders": 0, "msdyn_purchaseorders": 0})
    tims = TimsSandbox(
        sizes={
            "customers": 8,
            "vendors": 1,
            "sales-orders": 0,
            "purchase-orders": 0,
            "gl-entries": 0,
            "inventory-adjustments": 0,
        }
    )
    with running(d365) as d365_url, running(tims) as tims_url:
        yield Systems(d365, d365_url, tims, tims_url)


def make_project(
    root: Path,
    systems: Systems,
    *,
    fast: bool = True,
    poll_seconds: int | None = 60,
    webhooks: bool = True,
    conflicts: str = "{policy: newest_wins}",
    syncs: tuple[str, ...] = ("customers",),
    workflows: tuple[str, ...] = (),
) -> Project:
    """The `dynamics365-tims` template, pointed at these sandboxes (and, for tests, paced faster).

    Only the template's `syncs` and `workflows` named are kept (each test runs the ones it is about).
    `poll_seconds`, `webhooks` and `conflicts` replace the trigger and conflict policy of every sync kept
    that resolves conflicts by `newest_wins` (the others keep the template's).
    A project already made in `root` is loaded as it is (to run it again after a stop).
    """
    if (root / "ferry.yaml").exists():
        return Project.load(root)
    init_project(root, "dynamics365-tims")
    text, _, flows = (root / "ferry.yaml").read_text().partition("\nworkflows:\n")
    kept = [f"  - name: {b}" for b in flows.split("  - name: ") if b and b.split()[0] in workflows]
    assert len(kept) == len(workflows), "the template lacks a workflow this test asks for"
    template_tail = (
        "    conflicts:\n      policy: newest_wins\n    trigger:\n      webhooks: true\n      poll_seconds: 60\n"
    )
    head, _, rest = text.partition("syncs:\n")
    blocks = ["  - name: " + b for b in rest.split("  - name: ") if b]
    assert {b.split()[2] for b in blocks} >= set(syncs), "the template lacks a sync this test asks for"
    text = head + "syncs:\n" + "".join(b for b in blocks if b.split()[2] in syncs)
    moved = "policy: newest_wins" in text and template_tail not in text
    assert not moved, "the template's conflicts and trigger moved; update make_project"
    poll = "null" if poll_seconds is None else str(poll_seconds)
    trigger = f"    trigger:\n      webhooks: {str(webhooks).lower()}\n      poll_seconds: {poll}\n"
    text = text.replace(template_tail, f"    conflicts: {conflicts}\n{trigger}")
    if kept:
        text = text.rstrip("\n") + "\n\nworkflows:\n" + "".join(kept)
    text = text.replace("http://127.0.0.1:7071", systems.d365_url).replace("http://127.0.0.1:7072", systems.tims_url)
    text = text.replace("http://127.0.0.1:7073", systems.shop_url)
    if fast:
        text = text.replace(
            "    client_secret: ${secret:d365-client-secret}\n",
            "    client_secret: ${secret:d365-client-secret}\n    max_requests_per_second: 400\n",
        )
        text = text.replace(
            "    api_key: ${secret:tims-api-key}\n",
            "    api_key: ${secret:tims-api-key}\n    max_requests_per_second: 400\n",
        )
    (root / "ferry.yaml").write_text(text)
    return Project.load(root)


@dataclass
class Harness:
    systems: Systems
    engine: Engine
    assembly: Assembly
    d365: httpx.AsyncClient
    tims: httpx.AsyncClient
    control: dict[str, httpx.AsyncClient] = field(default_factory=dict)
    #: Set when the project is served (`live`): webhooks arrive through it.
    runner: Runner | None = None

    async def sync(self) -> dict[str, int]:
        """Poll both sides and wait until every change is settled; return the outcomes of this round."""
        before = dict(self.engine.processor.outcomes)
        for _ in range(3):  # a write can cause a change on the other side, which the next poll sees
            for poller in self.engine.pollers:
                await poller.poll_once()
            async with asyncio.timeout(120):
                await self.engine.drain()
        after = self.engine.processor.outcomes
        return {k: after[k] - before.get(k, 0) for k in after if after[k] - before.get(k, 0)}

    async def accounts(self, **params: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        url: str | None = "accounts"
        query: dict[str, str] | None = {"$filter": "customertypecode eq 3", **params}
        while url:
            body = (await self.d365.get(url, params=query)).json()
            rows += body["value"]
            url, query = body.get("@odata.nextLink"), None
        return rows

    async def customers(self, include_inactive: bool = False) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        page = 1
        while page:
            params = {"page": str(page), "pageSize": "500"}
            if include_inactive:
                params["includeInactive"] = "true"
            body = (await self.tims.get("customers", params=params)).json()
            rows += body["data"]
            page = body["nextPage"]
        return rows

    async def writes(self) -> int:
        """Writes the two systems have received, from their own counters."""
        total = 0
        for client in self.control.values():
            total += (await client.get("/_sandbox/stats")).json()["writes"]
        return total


async def d365_client(systems: Systems) -> httpx.AsyncClient:
    creds = systems.d365.credentials()
    async with httpx.AsyncClient() as anon:
        token = (
            await anon.post(
                f"{creds['authority']}/oauth2/v2.0/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": creds["client_id"],
                    "client_secret": creds["client_secret"],
                    "scope": creds["scope"],
                },
            )
        ).json()["access_token"]
    return httpx.AsyncClient(
        base_url=f"{systems.d365_url}/api/data/v9.2/", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


FAST_RETRY = RetryPolicy(base_seconds=0.05, max_seconds=0.5, max_attempts=20)


async def clients(systems: Systems) -> tuple[httpx.AsyncClient, httpx.AsyncClient, dict[str, httpx.AsyncClient]]:
    """A Dataverse Web API client, a TIMS API client, and one client per sandbox's control surface."""
    d365 = await d365_client(systems)
    tims = httpx.AsyncClient(base_url=f"{systems.tims_url}/api/v1/", headers=TIMS_KEY, timeout=30)
    control = {
        "d365": httpx.AsyncClient(base_url=systems.d365_url, timeout=60),
        "tims": httpx.AsyncClient(base_url=systems.tims_url, timeout=60),
    }
    if systems.shop is not None:
        control["shop"] = httpx.AsyncClient(base_url=systems.shop_url, timeout=60)
    return d365, tims, control


@contextlib.asynccontextmanager
async def polled(
    root: Path, systems: Systems, *, retry: RetryPolicy = FAST_RETRY, workers: int = 8, **project_options: Any
) -> AsyncIterator[Harness]:
    """The project's engine in-process with its workers running and nothing served: changes come in
    when the test polls (`Harness.sync()`). `project_options` go to `make_project`."""
    project = make_project(root, systems, **project_options)
    assembly = await assemble(project)
    engine = Engine(
        assembly.store,
        assembly.syncs,
        assembly.connectors,
        workers=workers,
        webhook_secrets=assembly.webhook_secrets,
        retry=retry,
    )
    engine.start_workers()
    d365, tims, control = await clients(systems)
    try:
        yield Harness(systems, engine, assembly, d365, tims, control)
    finally:
        await engine.stop()
        await assembly.aclose()
        for client in (d365, tims, *control.values()):
            await client.aclose()


@pytest.fixture
async def harness(tmp_path: Path, systems: Systems) -> AsyncIterator[Harness]:
    async with polled(tmp_path / "project", systems) as h:
        yield h


@contextlib.asynccontextmanager
async def live(
    root: Path, systems: Systems, *, retry: RetryPolicy = FAST_RETRY, port: int = 0, **project_options: Any
) -> AsyncIterator[Harness]:
    """The project served by `Runner` (on a free port unless `port` is given), as `ferry run` serves it:
    the sandboxes' webhooks reach it over real sockets. `project_options` go to `make_project` (e.g.
    `poll_seconds=None`)."""
    project = make_project(root, systems, **project_options)
    assembly = await assemble(project)
    runner = Runner(assembly, Listen("127.0.0.1", port), retry=retry)
    d365, tims, control = await clients(systems)
    try:
        async with runner.running():
            yield Harness(systems, runner.engine, assembly, d365, tims, control, runner=runner)
    finally:
        await assembly.aclose()
        for client in (d365, tims, *control.values()):
            await client.aclose()


@contextlib.asynccontextmanager
async def control_api(h: Harness, name: str = "ops", role: str = "operator") -> AsyncIterator[httpx.AsyncClient]:
    """A client of the served control API (`live`) acting as `name`, a person with `role`, by API token."""
    assert h.runner is not None, "the control API is served by `live`"
    people = AccessStore(h.assembly.store)
    if await people.user(name) is None:
        await people.add_user(name, role, "a-long-test-password")
    token = await people.issue_token(name, "e2e")
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=h.runner.listen.url, headers=headers, timeout=30) as client:
        yield client


async def eventually(check: Callable[[], Awaitable[T | None]], *, within: float = 30, every: float = 0.1) -> T:
    """Ask `check` until it answers something truthy; fail after `within` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        found = await check()
        if found:
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still not true after {within} s: {check.__qualname__}")
        await asyncio.sleep(every)


async def quiet(h: Harness, *, calm: float = 0.6, within: float = 60) -> None:
    """Wait until nothing moves: no webhook on its way from either sandbox, nothing pending or in flight
    in the engine, and no write reaching either system for `calm` seconds."""

    async def still() -> bool:
        for client in h.control.values():
            deliveries = (await client.get("/_sandbox/webhooks")).json()["deliveries"]
            if any(d["state"] == "pending" for d in deliveries):
                return False
        counts = await h.assembly.store.counts()
        return not any(c.pending or c.in_flight for c in counts) and not h.engine.busy

    async def calm_now() -> bool:
        if not await still():
            return False
        before = await h.writes()
        await asyncio.sleep(calm)
        return await still() and await h.writes() == before

    await eventually(calm_now, within=within, every=0.05)
