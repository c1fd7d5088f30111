"""`ferry reconcile`: compare a sync's two systems record by record, show the drift, and heal it on request.

It works whether or not `ferry run` is running: the report and any fixes go into the project's store,
which both processes share. Queued fixes are settled by the running engine, or by `ferry sync`.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ferry.api.reconcile import ReconciliationOut, report_out
from ferry.cli.logs import configure
from ferry.engine.reconcile import Reconciler
from ferry.engine.store.base import Side
from ferry.project import Project
from ferry.run import assemble

console = Console(soft_wrap=True)
#: Drift items listed on screen (all of them with --json).
SHOWN = 50


def reconcile(
    project_dir: Annotated[Path, typer.Argument(metavar="DIR", help="The project directory (holding ferry.yaml).")],
    sync_name: Annotated[str, typer.Argument(metavar="SYNC", help="The sync whose two systems are compared.")],
    heal: Annotated[bool, typer.Option("--heal", help="Queue the fix of every drift item found.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output, every item.")] = False,
) -> None:
    """Compare a sync's two systems record by record: records missing on either side, and fields that differ."""
    configure(False)
    report = asyncio.run(_reconcile(project_dir, sync_name, heal=heal, quiet=as_json))
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    else:
        _show(report, project_dir)
    if report.state == "failed":
        raise typer.Exit(1)


async def _reconcile(project_dir: Path, sync_name: str, *, heal: bool, quiet: bool) -> ReconciliationOut:
    assembly = await assemble(Project.load(project_dir), owner=False)  # `ferry run` may own the store
    try:
        reconciler = Reconciler(assembly.store, {s.name: s for s in assembly.syncs}, assembly.connectors)
        spec = reconciler.spec(sync_name)
        columns = (SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed} read"))
        with Progress(*columns, TimeElapsedColumn(), console=console, disable=quiet, transient=True) as progress:
            tasks = {
                side: progress.add_task(f"{side} ({spec.side(side).connection} {spec.side(side).entity})", total=None)
                for side in ("left", "right")
            }

            def read(side: Side, n: int) -> None:
                progress.update(tasks[side], completed=n)

            report = await reconciler.run(sync_name, started_by="cli", heal=heal, progress=read)
        items: list[Any] = []
        while True:
            page, total = await assembly.store.reconciliations.items(report.id, offset=len(items), limit=1000)
            items += page
            if not page or len(items) >= total or (not quiet and len(items) >= SHOWN):
                break
        return report_out(report, items, total)
    finally:
        await assembly.aclose()


def _show(report: ReconciliationOut, project_dir: Path) -> None:
    counts = report.counts
    if report.state == "failed":
        console.print(f"[red]Reconciliation {report.id} of {report.sync} did not finish:[/] {report.error}")
    table = Table("left", "right", "pairs", "missing left", "missing right", "different", "orphan links", "skipped")
    table.add_row(
        *(str(counts.get(k, 0)) for k in ("left", "right", "pairs", "missing_left", "missing_right", "different")),
        str(counts.get("orphan_link", 0)),
        str(counts.get("skipped", 0)),
    )
    console.print(f"[bold]reconciliation {report.id}[/] of {report.sync} ({report.seconds or 0:.1f} s)")
    console.print(table)
    if counts.get("unmapped"):
        console.print(f"[yellow]{counts['unmapped']} pair(s) could not be compared: their mapping failed.[/]")
    if report.items:
        items = Table("#", "kind", "left", "right", "from", "detail")
        for item in report.items:
            detail = (
                "; ".join(
                    f"{f.field}: {json.dumps(f.have, default=str)} -> {json.dumps(f.want, default=str)}"
                    for f in item.fields
                )
                or item.note
            )
            if item.heal:
                detail += f" [{item.heal}]"
            items.add_row(
                str(item.number), item.kind, item.left_id or "", item.right_id or "", item.source or "", detail
            )
        console.print(items)
        if (report.items_total or 0) > len(report.items):
            console.print(f"... and {(report.items_total or 0) - len(report.items)} more (all of them with --json)")
    if report.heal is not None:
        h = report.heal
        console.print(
            f"[bold]healed:[/] {h.queued} fix(es) queued, {h.already_queued} queued before, {h.forgotten} link(s) "
            f"forgotten, {h.cannot_fix} the engine cannot fix (see above)"
        )
        if h.queued:
            console.print(f"A running `ferry run` settles them now; otherwise run: ferry sync {project_dir}")
    elif report.drift:
        console.print(f"Queue the fixes with: ferry reconcile {project_dir} {report.sync} --heal")
    else:
        console.print("[green]No drift: both systems agree.[/]")
