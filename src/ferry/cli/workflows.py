"""`ferry workflow`: the runs of a project's workflows, each step's state, inputs, outputs and timings."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ferry.api.workflows import RunOut, run_out
from ferry.cli.run import Json, ProjectDir, _run, _viewer, console
from ferry.core.errors import ConfigError

workflow_app = typer.Typer(
    help="Workflow runs: see each step (state, inputs, outputs, timings), retry a held run, cancel one."
)
ProjectOption = Annotated[Path, typer.Option("--project", "-p", help="The project directory.")]
_STATES = ("pending", "running", "waiting", "held", "completed", "failed", "compensated", "cancelled")


@workflow_app.command("list")
def workflow_list(project_dir: ProjectDir = Path("."), as_json: Json = False) -> None:
    """Each workflow of the project, with its runs by state."""

    async def main() -> list[dict[str, Any]]:
        project, store = await _viewer(project_dir)
        try:
            counts = await store.runs.counts()
        finally:
            await store.close()
        return [{"workflow": w.name, "file": w.file, **counts.get(w.name, {})} for w in project.workflows]

    rows = _run(main())
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        console.print("This project has no workflows.")
        return
    # Only the states some run is in: all eight do not fit an 80-column terminal.
    states = [state for state in _STATES if any(row.get(state) for row in rows)]
    table = Table("workflow", *states, "runs")
    for row in rows:
        counts = [row.get(state, 0) for state in states]
        table.add_row(row["workflow"], *map(str, counts), str(sum(row.get(state, 0) for state in _STATES)))
    console.print(table)


@workflow_app.command("runs")
def workflow_runs(
    project_dir: ProjectDir = Path("."),
    workflow: Annotated[str | None, typer.Option("--workflow", "-w", help="Only this workflow's runs.")] = None,
    state: Annotated[str | None, typer.Option(help=f"Only runs in this state ({', '.join(_STATES)}).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 50,
    as_json: Json = False,
) -> None:
    """Runs, newest first."""
    if state is not None and state not in _STATES:
        raise ConfigError(f"--state {state!r} is not a run state; use one of: {', '.join(_STATES)}.")

    async def main() -> list[RunOut]:
        _, store = await _viewer(project_dir)
        try:
            return [
                run_out(r, detail=False) for r in await store.runs.list(workflow=workflow, state=state, limit=limit)
            ]
        finally:
            await store.close()

    runs = _run(main())
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in runs], indent=2))
        return
    if not runs:
        console.print("No runs.")
        return
    table = Table("run", "workflow", "key", "state", "at step", "started", "took", "reason")
    for r in runs:
        table.add_row(
            str(r.id), r.workflow, r.key, r.state, r.step or "", _when(r.created_at), _took(r), r.reason or ""
        )
    console.print(table)


@workflow_app.command("show")
def workflow_show(
    run_id: int,
    project_dir: ProjectOption = Path("."),
    io: Annotated[bool, typer.Option("--io", help="Print each step's input and output in full.")] = False,
    as_json: Json = False,
) -> None:
    """One run: every step it has been through, with state, attempts, timings and what it did."""

    async def main() -> RunOut:
        _, store = await _viewer(project_dir)
        try:
            run = await store.runs.get(run_id)
        finally:
            await store.close()
        if run is None:
            raise ConfigError(f"There is no run {run_id}; list them with: ferry workflow runs {project_dir}")
        return run_out(run, detail=True)

    run = _run(main())
    if as_json:
        typer.echo(json.dumps(run.model_dump(mode="json"), indent=2))
        return
    console.print(
        f"[bold]Run {run.id}[/] of {run.workflow} for {run.key}: [bold]{run.state}[/]"
        + (f" at {run.step}" if run.step else "")
        + f", started {_when(run.created_at)}, took {_took(run)}"
    )
    if run.reason:
        console.print(f"  {run.reason}")
    if run.retries:
        console.print(f"  retried {run.retries} time(s) by a person")
    table = Table("step", "state", "attempts", "took", "detail")
    for step in run.steps:
        took = f"{step.seconds:.3f} s" if step.seconds is not None else ""
        table.add_row(step.step, step.state, str(step.attempts), took, step.error or _brief(step.output))
    console.print(table)
    if io:
        for step in run.steps:
            console.print(f"[bold]{step.step}[/] input: {json.dumps(step.input, default=str)}")
            console.print(f"[bold]{step.step}[/] output: {json.dumps(step.output, default=str)}")
    if run.state == "held":
        console.print(
            f"Fix the cause, then resume it from {run.step} with: ferry workflow retry {run.id} -p {project_dir}"
        )


@workflow_app.command("retry")
def workflow_retry(
    run_ids: Annotated[list[int] | None, typer.Argument(help="The runs to resume.")] = None,
    project_dir: ProjectOption = Path("."),
    held: Annotated[bool, typer.Option("--all-held", help="Resume every held run.")] = False,
) -> None:
    """Resume held or failed runs from the step each stopped at (the steps before are not repeated)."""
    if not run_ids and not held:
        raise ConfigError("Name the runs to retry, or pass --all-held.")

    async def main() -> tuple[int, list[str]]:
        _, store = await _viewer(project_dir)
        try:
            ids = list(run_ids or [])
            if held:
                ids += [r.id for r in await store.runs.list(state="held", limit=100000)]
            refused = []
            done = 0
            for run_id in ids:
                if await store.runs.retry(run_id) is not None:
                    done += 1
                else:
                    current = await store.runs.get(run_id)
                    refused.append(f"run {run_id} is {current.state if current else 'unknown'}")
            return done, refused
        finally:
            await store.close()

    done, refused = _run(main())
    console.print(f"{done} run(s) will resume where they stopped (the running ferry picks them up).")
    if refused:
        raise ConfigError("Not retried (only held or failed runs are): " + "; ".join(refused) + ".")


@workflow_app.command("cancel")
def workflow_cancel(
    run_id: int,
    reason: Annotated[str, typer.Option(help="Why (kept with the run).")],
    project_dir: ProjectOption = Path("."),
) -> None:
    """Stop a run that has not ended; it runs no further step."""

    async def main() -> bool:
        _, store = await _viewer(project_dir)
        try:
            return await store.runs.cancel(run_id, reason)
        finally:
            await store.close()

    if not _run(main()):
        raise ConfigError(f"Run {run_id} cannot be cancelled: it has ended, is running right now, or does not exist.")
    console.print(f"Cancelled run {run_id}.")


def _when(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _took(run: RunOut) -> str:
    end = run.finished_at or datetime.now(UTC)
    return f"{(end - run.created_at).total_seconds():.1f} s"


def _brief(value: Any) -> str:
    if value is None:
        return ""
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."
