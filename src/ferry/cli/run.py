"""`ferry run`, `ferry sync`, `ferry status` and `ferry dlq`: running a project and looking after it."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import getpass
import json
import os
from collections.abc import Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ferry.cli.edits import parse_sets, project_spec, read_record
from ferry.cli.logs import LogFormat, configure
from ferry.core import tracing
from ferry.core.errors import ConfigError
from ferry.engine.edits import EditError, replay_edit
from ferry.engine.intake import Poller
from ferry.engine.runtime import Engine
from ferry.engine.store import SqliteStore
from ferry.engine.store.dead_letters import CauseGroup, DeadLetterFixes
from ferry.project import Project
from ferry.run import assemble
from ferry.run.assemble import state_path
from ferry.run.serve import Listen, Runner

console = Console(soft_wrap=True)
T = TypeVar("T")
ProjectDir = Annotated[Path, typer.Argument(help="The project directory (holding ferry.yaml).")]
Json = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _run(work: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(work)


def run(
    project_dir: ProjectDir = Path("."),
    listen: Annotated[
        str, typer.Option(help="Address of the console, the control API and the webhooks.")
    ] = "127.0.0.1:7070",
    public_url: Annotated[str | None, typer.Option(help="URL the systems use to reach ferry (webhooks).")] = None,
    workers: Annotated[int, typer.Option(min=1, max=512, help="Records processed at once.")] = 64,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log every record.")] = False,
    log_format: Annotated[
        LogFormat, typer.Option(envvar="FERRY_LOG_FORMAT", help="text (for people) or json (one object a line).")
    ] = "text",
    otel: Annotated[
        bool, typer.Option("--otel", help="Send traces over OTLP (also on when OTEL_EXPORTER_OTLP_ENDPOINT is set).")
    ] = False,
) -> None:
    """Run the project until stopped (Ctrl-C or SIGTERM finishes or hands back the records in hand)."""
    configure(verbose, log_format)
    host, _, port = listen.rpartition(":")
    if not port.isdigit():
        raise ConfigError(f"--listen '{listen}' is not HOST:PORT (for example 127.0.0.1:7070).")
    tracing.configure(os.environ, force=otel)

    async def main() -> None:
        assembly = await assemble(Project.load(project_dir))
        try:
            runner = Runner(assembly, Listen(host.strip("[]") or "127.0.0.1", int(port), public_url), workers=workers)
            await runner.run_until_signalled()
        finally:
            await assembly.aclose()

    try:
        _run(main())
    finally:
        tracing.shutdown()


def sync(
    project_dir: ProjectDir = Path("."),
    initial: Annotated[
        bool, typer.Option("--initial", help="Read every record again (first load, or repair).")
    ] = False,
    workers: Annotated[int, typer.Option(min=1, max=512, help="Records processed at once.")] = 64,
) -> None:
    """Bring both sides in step now and exit: read changes (every record with --initial), then settle them."""
    configure(False)

    async def main() -> dict[str, int]:
        assembly = await assemble(Project.load(project_dir))
        engine = Engine(
            assembly.store,
            assembly.syncs,
            assembly.connectors,
            workers=workers,
            webhook_secrets=assembly.webhook_secrets,
        )
        try:
            columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
            with Progress(*columns, console=console, transient=False) as progress:
                reading = {
                    p: progress.add_task(f"read {p.spec.name} {p.side} ({p.spec.side(p.side).entity})", total=None)
                    for p in engine.pollers
                }

                def advance(poller: Poller, n: int) -> None:
                    progress.advance(reading[poller], n)

                if initial:
                    # Everything is read before anything settles, so existing twins are found in the
                    # read's match index rather than by a look-up request per record.
                    await engine.read_all(advance)
                    engine.start_workers()
                else:
                    engine.start_workers()
                    for poller in engine.pollers:
                        await poller.poll_once(functools.partial(advance, poller))
                for task in reading.values():
                    progress.update(task, total=progress.tasks[task].completed)
                total = sum(p.seen for p in engine.pollers) or 1
                settling = progress.add_task("settle", total=total)
                while True:
                    counts = await assembly.store.counts()
                    left = sum(c.pending + c.in_flight for c in counts)
                    progress.update(settling, completed=max(0, total - left))
                    if left == 0 and not engine.busy:
                        break
                    await asyncio.sleep(0.2)
            return dict(engine.processor.outcomes)
        finally:
            await engine.stop()
            await assembly.aclose()

    outcomes = _run(main())
    summary = ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items())) or "nothing to do"
    console.print(f"[bold]done:[/] {summary}")
    if outcomes.get("dead"):
        console.print("[yellow]Some records could not be synced: see them with[/] ferry dlq list " + str(project_dir))


async def _viewer(project_dir: Path) -> tuple[Project, SqliteStore]:
    project = Project.load(project_dir)
    path = state_path(project)
    if not path.exists():
        raise ConfigError(f"{project_dir} has not run yet (no {path}); start it with: ferry run {project_dir}")
    store = SqliteStore(path)
    await store.open(owner=False)
    return project, store


def status(project_dir: ProjectDir = Path("."), as_json: Json = False) -> None:
    """Per sync: records in step, changes waiting, records failed, and how far behind ferry is."""

    async def main() -> list[dict[str, Any]]:
        project, store = await _viewer(project_dir)
        try:
            counts = {c.sync: c for c in await store.counts()}
            links, dead = await store.link_counts(), await store.open_dead_letters()
        finally:
            await store.close()
        now = datetime.now(UTC)
        rows = []
        for sync in project.syncs:
            c = counts.get(sync.name)
            lag = (now - c.oldest_pending).total_seconds() if c and c.oldest_pending else 0.0
            rows.append(
                {
                    "sync": sync.name,
                    "synced": links.get(sync.name, 0),
                    "pending": c.pending if c else 0,
                    "in_flight": c.in_flight if c else 0,
                    "failed": dead.get(sync.name, 0),
                    "reviews": c.reviews if c else 0,
                    "lag_seconds": round(lag, 1),
                }
            )
        return rows

    rows = _run(main())
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("sync", "synced", "pending", "in flight", "failed", "reviews", "lag")
    for r in rows:
        table.add_row(
            r["sync"],
            str(r["synced"]),
            str(r["pending"]),
            str(r["in_flight"]),
            str(r["failed"]),
            str(r["reviews"]),
            f"{r['lag_seconds']:.1f} s",
        )
    console.print(table)


dlq_app = typer.Typer(help="Records that could not be synced: see why, replay after fixing the cause, or drop.")


@dlq_app.command("list")
def dlq_list(
    project_dir: ProjectDir = Path("."),
    sync_name: Annotated[str | None, typer.Option("--sync")] = None,
    as_json: Json = False,
) -> None:
    """List the open dead letters."""

    async def main() -> list[dict[str, Any]]:
        _, store = await _viewer(project_dir)
        try:
            return [_letter(d, payload=False) for d in await store.dead_letters(sync=sync_name)]
        finally:
            await store.close()

    letters = _run(main())
    if as_json:
        typer.echo(json.dumps(letters, indent=2, default=str))
        return
    if not letters:
        console.print("No failed records.")
        return
    table = Table("id", "sync", "side", "record", "error", "attempts", "since")
    for d in letters:
        table.add_row(
            str(d["id"]),
            d["sync"],
            d["side"],
            d["record_id"],
            f"{d['error_class']}: {d['error']}",
            str(d["attempts"]),
            d["created_at"][:19],
        )
    console.print(table)


@dlq_app.command("groups")
def dlq_groups(
    project_dir: ProjectDir = Path("."),
    sync_name: Annotated[str | None, typer.Option("--sync")] = None,
    as_json: Json = False,
) -> None:
    """The open dead letters grouped by cause (the error without its record's ids and values)."""

    async def main() -> list[CauseGroup]:
        _, store = await _viewer(project_dir)
        try:
            return await DeadLetterFixes(store).groups(sync=sync_name)
        finally:
            await store.close()

    groups = _run(main())
    if as_json:
        typer.echo(json.dumps([dataclasses.asdict(g) for g in groups], indent=2, default=str))
        return
    if not groups:
        console.print("No failed records.")
        return
    table = Table("sync", "count", "cause", "letters", "last")
    for g in groups:
        shown = " ".join(map(str, g.letter_ids[:8])) + (" ..." if g.count > 8 else "")
        table.add_row(g.sync, str(g.count), f"{g.error_class}: {g.cause}", shown, g.last_at.isoformat()[:19])
    console.print(table)


@dlq_app.command("show")
def dlq_show(letter_id: int, project_dir: ProjectDir = Path("."), as_json: Json = False) -> None:
    """Show one dead letter with its payload and the error from the system."""

    async def main() -> dict[str, Any]:
        _, store = await _viewer(project_dir)
        try:
            letter = await store.dead_letter_by_id(letter_id)
        finally:
            await store.close()
        if letter is None:
            raise ConfigError(f"There is no dead letter {letter_id}; list them with: ferry dlq list {project_dir}")
        return _letter(letter, payload=True)

    letter = _run(main())
    typer.echo(
        json.dumps(letter, indent=2, default=str)
        if as_json
        else "\n".join(f"{k}: {json.dumps(v, default=str) if isinstance(v, dict) else v}" for k, v in letter.items())
    )


@dlq_app.command("replay")
def dlq_replay(
    letter_ids: Annotated[list[int] | None, typer.Argument()] = None,
    project_dir: Annotated[Path, typer.Option("--project", "-p")] = Path("."),
    replay_all: Annotated[bool, typer.Option("--all", help="Replay every open dead letter.")] = False,
    payload: Annotated[
        Path | None, typer.Option(help="JSON file (or -) with the record, edited, to use once instead of reading it.")
    ] = None,
    overrides: Annotated[
        list[str] | None, typer.Option("--set", help="TARGET_FIELD=VALUE laid over the mapped record, once.")
    ] = None,
) -> None:
    """Queue dead letters again (after fixing their cause); the running engine picks them up."""
    if not letter_ids and not replay_all:
        raise ConfigError("Name the dead letters to replay, or pass --all.")
    edited = read_record(payload) if payload is not None else None
    values = parse_sets(overrides)
    if (edited is not None or values) and (replay_all or len(letter_ids or []) != 1):
        raise ConfigError("--payload and --set fix one dead letter: name exactly one.")

    async def main() -> int:
        project, store = await _viewer(project_dir)
        try:
            letters = (
                await store.dead_letters()
                if replay_all
                else [d for i in letter_ids or [] if (d := await store.dead_letter_by_id(i)) is not None]
            )
            fixes, by = DeadLetterFixes(store), getpass.getuser()
            done = 0
            for d in letters:
                try:
                    spec = project_spec(project, d.sync) if values else None
                    edit = replay_edit(d, spec, by=by, payload=edited, overrides=values)
                except EditError as exc:
                    raise ConfigError(str(exc)) from None
                done += await fixes.replay(d.id, by=by, edit=edit) == "replayed"
            return done
        finally:
            await store.close()

    console.print(f"{_run(main())} record(s) queued again.")


@dlq_app.command("drop")
def dlq_drop(
    letter_id: int,
    reason: Annotated[str, typer.Option(help="Why (kept in the record's history).")],
    project_dir: Annotated[Path, typer.Option("--project", "-p")] = Path("."),
) -> None:
    """Give up on a dead letter, with a reason."""

    async def main() -> bool:
        _, store = await _viewer(project_dir)
        try:
            return await DeadLetterFixes(store).drop(letter_id, by=getpass.getuser(), reason=reason) == "dropped"
        finally:
            await store.close()

    if not _run(main()):
        raise ConfigError(f"Dead letter {letter_id} is not open (already replayed or dropped, or unknown).")
    console.print(f"Dropped dead letter {letter_id}.")


def _letter(d: Any, *, payload: bool) -> dict[str, Any]:
    out = {
        "id": d.id,
        "sync": d.sync,
        "side": d.side,
        "record_id": d.record_id,
        "error_class": d.error_class,
        "error": d.error,
        "attempts": d.attempts,
        "created_at": d.created_at.isoformat(),
        "state": d.state,
    }
    if payload:
        out["payload"] = d.payload
    return out
