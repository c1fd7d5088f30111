"""`ferry demo`: the sandboxes, a project from the template, ferry running it, and records moving both ways.

One command, nothing else installed: it starts the Dynamics 365, TIMS and storefront sandboxes, writes
the `dynamics365-tims` project into a directory, runs it (initial load, then webhooks and polling),
and then keeps changing records on both sides, showing each change arriving on the other side.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import secrets
import socket
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console

from ferry.access import AccessStore
from ferry.cli.logs import configure
from ferry.core.errors import ConfigError
from ferry.project import Project
from ferry.project.templates import init_project
from ferry.run import assemble
from ferry.run.serve import Listen, Runner
from ferry.sandboxes.dynamics365 import Dynamics365Sandbox
from ferry.sandboxes.kit.base import Sandbox
from ferry.sandboxes.kit.server import bind, serving
from ferry.sandboxes.storefront import StorefrontSandbox
from ferry.sandboxes.tims import TimsSandbox

console = Console(soft_wrap=True)
TIMS_KEY = {"X-API-Key": "tims-sandbox-key"}


def demo(
    seed: Annotated[int, typer.Option(help="Seed for the sandboxes' data.")] = 42,
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Keep the project here (default: a temp dir).")
    ] = None,
    customers: Annotated[int, typer.Option(min=1, max=400, help="Accounts and customers each side starts with.")] = 60,
    rounds: Annotated[int, typer.Option(min=0, help="Rounds of changes to show (0: until Ctrl-C).")] = 0,
) -> None:
    """Show ferry keeping Dynamics 365 accounts and TIMS customers in step, on emulated systems."""
    configure(False)
    try:
        asyncio.run(_demo(seed, directory, customers, rounds))
    except KeyboardInterrupt:
        console.print("Stopped.")


async def _demo(seed: int, directory: Path | None, customers: int, rounds: int) -> None:
    sandboxes: list[Sandbox] = [
        Dynamics365Sandbox(seed=seed, sizes={"accounts": customers, "salesorders": 10}),
        TimsSandbox(seed=seed, sizes={"customers": customers, "sales-orders": 10}),
        StorefrontSandbox(seed=seed),
    ]
    sockets = [_bind(sb.name, sb.default_port) for sb in sandboxes]
    control = _bind("ferry", 7070)
    control.close()  # only checked here; the runner binds it itself
    with tempfile.TemporaryDirectory(prefix="ferry-demo-") as scratch:
        root = directory or Path(scratch) / "dynamics365-tims"
        async with serving(sandboxes, sockets):
            for sb in sandboxes:
                console.print(f"[green]{sb.title}[/] sandbox at {sb.base_url}")
            init_project(root, "dynamics365-tims", force=True)
            left_out = leave_out(root / "ferry.yaml", SLOW_SYNCS)
            console.print(f"Project written to {root} (ferry.yaml, mappings/); running it.")
            if left_out:
                console.print(f"Left out of the demo, to keep it quick: the syncs {', '.join(left_out)}.")
            assembly = await assemble(Project.load(root))
            runner = Runner(assembly, Listen("127.0.0.1", 7070))
            try:
                async with runner.running():
                    password = await _demo_login(runner.access.people)
                    console.print(
                        f"[bold]Console at http://127.0.0.1:7070[/]: log in as [bold]demo[/] with the password "
                        f"[bold]{password}[/] (API at /api/docs; webhooks at /hooks/<connection>)."
                    )
                    await _initial_load(runner)
                    await _show_changes(runner, rounds)
            finally:
                await assembly.aclose()


async def _demo_login(people: AccessStore) -> str:
    """An admin for the demo's console, with a new password each run (the demo's state is thrown away)."""
    password = secrets.token_urlsafe(9)
    if await people.user("demo") is None:
        await people.add_user("demo", "admin", password)
    else:
        await people.update_user("demo", role="admin", password=password)
    return password


#: The template's finance and stock syncs: every seeded invoice, payment and stock row would pass
#: through them on the initial load, which takes minutes at the connections' request rates (the shop's
#: stock levels at its 2 calls a second most of all).
SLOW_SYNCS = ("invoice-payments", "invoice-postings", "payment-postings", "inventory", "shipments", "shop-stock")


def leave_out(path: Path, names: tuple[str, ...]) -> list[str]:
    """Remove the sync blocks named from the project file (the template's layout: `  - name: x` blocks)."""
    text = path.read_text()
    head, sep, rest = text.partition("\nsyncs:\n")
    body, wsep, tail = rest.partition("\nworkflows:\n")
    blocks = ["  - name: " + b for b in body.split("  - name: ") if b]
    kept = [b for b in blocks if b.split()[2] not in names]
    path.write_text(head + sep + "".join(kept) + wsep + tail)
    return [b.split()[2] for b in blocks if b.split()[2] in names]


def _bind(name: str, port: int) -> socket.socket:
    try:
        return bind("127.0.0.1", port)
    except OSError as exc:
        raise ConfigError(
            f"Port {port} for {name} is in use ({exc.strerror}); stop what uses it and run the demo again."
        ) from None


async def _initial_load(runner: Runner) -> None:
    store, engine = runner.assembly.store, runner.engine
    started = time.monotonic()
    with console.status("Initial load: reading both systems and pairing records...") as status:
        while True:
            await asyncio.sleep(0.5)
            counts = await store.counts()
            waiting = sum(c.pending + c.in_flight for c in counts)
            done = sum(c.done for c in counts)
            status.update(f"Initial load: {done} changes settled, {waiting} waiting...")
            if done and not waiting and not engine.busy:
                break
    links = sum((await store.link_counts()).values())
    outcomes = ", ".join(f"{n} {k}" for k, n in sorted(engine.processor.outcomes.items()))
    console.print(
        f"[bold]Initial load done[/] in {time.monotonic() - started:.1f} s: {links} pairs in step ({outcomes})."
    )


@contextlib.asynccontextmanager
async def _clients(runner: Runner) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    d365_url = runner.assembly.project.connection_config("d365").url  # type: ignore[attr-defined]
    tims_url = runner.assembly.project.connection_config("tims").url  # type: ignore[attr-defined]
    async with httpx.AsyncClient(timeout=30) as anon:
        token = (
            await anon.post(
                f"{d365_url}/ferrysandbox.onmicrosoft.com/oauth2/v2.0/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": "51f81489-12ee-4a9e-aaae-a2591f45987d",
                    "client_secret": "ferry-dataverse-sandbox-secret",
                    "scope": f"{d365_url}/.default",
                },
            )
        ).json()["access_token"]
    async with (
        httpx.AsyncClient(
            base_url=f"{d365_url}/api/data/v9.2/", headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as d365,
        httpx.AsyncClient(base_url=f"{tims_url}/api/v1/", headers=TIMS_KEY, timeout=30) as tims,
    ):
        yield d365, tims


async def _show_changes(runner: Runner, rounds: int) -> None:
    console.print("Now changing records on both sides; each line shows a change arriving. Ctrl-C to stop.")
    rng = random.Random(7)
    async with _clients(runner) as (d365, tims):
        n = 0
        while rounds == 0 or n < rounds:
            n += 1
            links = [lk for lk in await runner.assembly.store.links("customers") if lk.left_id and lk.right_id]
            left = rng.choice(links)
            name = f"{rng.choice(['Harbor', 'Summit', 'Prairie', 'Granite', 'Cedar'])} Welding #{n}"
            await d365.patch(f"accounts({left.left_id})", json={"name": name})
            await _arrival(
                f"Dynamics 365 account renamed to '{name}'",
                "TIMS customer",
                functools.partial(_tims_name, tims, left.right_id),
                name,
            )
            right = rng.choice(links)
            name = f"{rng.choice(['Anchor', 'Beacon', 'Copper', 'Delta', 'Ember'])} Gas Supply #{n}"
            await tims.patch(f"customers/{right.right_id}", json={"CompanyName": name})
            await _arrival(
                f"TIMS customer renamed to '{name}'",
                "Dynamics 365 account",
                functools.partial(_d365_name, d365, right.left_id),
                name,
            )
            await asyncio.sleep(2)


async def _arrival(change: str, where: str, read: Any, expected: str) -> None:
    started = time.monotonic()
    while time.monotonic() - started < 30:
        if await read() == expected:
            console.print(f"{change}: arrived in the {where} after [bold]{time.monotonic() - started:.2f} s[/]")
            return
        await asyncio.sleep(0.05)
    console.print(f"[yellow]{change}: not in the {where} after 30 s[/] (see: ferry status / ferry dlq list)")


async def _tims_name(tims: httpx.AsyncClient, customer_id: str | None) -> str | None:
    body = (await tims.get(f"customers/{customer_id}")).json()
    return body.get("CompanyName") if isinstance(body, dict) else None


async def _d365_name(d365: httpx.AsyncClient, account_id: str | None) -> str | None:
    body = (await d365.get(f"accounts({account_id})", params={"$select": "name"})).json()
    return body.get("name") if isinstance(body, dict) else None
