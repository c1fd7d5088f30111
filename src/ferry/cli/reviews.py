"""`ferry reviews`: conflicts held for a person, both records side by side, and the decision per field."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.table import Table

from ferry.api.reviews import review_out, summary
from ferry.cli.edits import parse_sets, project_spec
from ferry.cli.run import Json, ProjectDir, _run, _viewer, console
from ferry.core.errors import ConfigError
from ferry.engine.comparison import Choice, DecisionError, compare, resolve
from ferry.engine.spec import SyncSpec
from ferry.engine.store.reviews import Review, ReviewDesk
from ferry.project import Project

reviews_app = typer.Typer(help="Conflicts held for a person (policy: review): compare both sides, then decide.")
ProjectOption = Annotated[Path, typer.Option("--project", "-p", help="The project directory.")]


def _spec(project: Project, review: Review) -> SyncSpec:
    spec = project_spec(project, review.sync)
    if spec is None or not spec.maps:
        raise ConfigError(f"Review {review.id} is of sync '{review.sync}', which {project.root} no longer has.")
    return spec


async def _review(desk: ReviewDesk, review_id: int, project_dir: Path) -> Review:
    found = await desk.get(review_id)
    if found is None:
        raise ConfigError(f"There is no review {review_id}; list them with: ferry reviews list {project_dir}")
    return found


@reviews_app.command("list")
def reviews_list(
    project_dir: ProjectDir = Path("."),
    sync_name: Annotated[str | None, typer.Option("--sync")] = None,
    state: Annotated[str, typer.Option(help="open, resolved or dismissed.")] = "open",
    as_json: Json = False,
) -> None:
    """List the reviews (open ones unless --state says otherwise), with the fields that differ."""
    if state not in ("open", "resolved", "dismissed"):
        raise ConfigError(f"--state must be open, resolved or dismissed, not '{state}'.")

    async def main() -> list[dict[str, Any]]:
        project, store = await _viewer(project_dir)
        try:
            found = await ReviewDesk(store).list(sync=sync_name, state=state)  # type: ignore[arg-type]
        finally:
            await store.close()
        specs = {r.sync: project_spec(project, r.sync) for r in found}
        return [
            summary(r, compare(spec, r) if (spec := specs[r.sync]) and spec.maps else None).model_dump(mode="json")
            for r in found
        ]

    rows = _run(main())
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        console.print(f"No {state} reviews.")
        return
    table = Table("id", "sync", "left", "right", "differs", "since")
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["sync"],
            str(r["left_id"]),
            str(r["right_id"]),
            ", ".join(r["differing"]),
            r["created_at"][:19],
        )
    console.print(table)


@reviews_app.command("show")
def reviews_show(review_id: int, project_dir: ProjectOption = Path("."), as_json: Json = False) -> None:
    """Both records of the review side by side, per field (the mapped side shown as it would be written)."""

    async def main() -> dict[str, Any]:
        project, store = await _viewer(project_dir)
        try:
            found = await _review(ReviewDesk(store), review_id, project_dir)
        finally:
            await store.close()
        return review_out(found, compare(_spec(project, found), found)).model_dump(mode="json")

    shown = _run(main())
    if as_json:
        typer.echo(json.dumps(shown, indent=2))
        return
    console.print(f"review {shown['id']} of {shown['sync']} ({shown['state']}): {shown['reason']}")
    for side in ("left", "right"):
        console.print(f"  {side}: {shown['sources'][side]}")
    table = Table("field", "left", "right", "")
    for row in shown["fields"]:
        table.add_row(row["field"], _show(row["left"]), _show(row["right"]), "differs" if row["differs"] else "")
    console.print(table)


@reviews_app.command("resolve")
def reviews_resolve(
    review_id: int,
    project_dir: ProjectOption = Path("."),
    take: Annotated[
        str | None, typer.Option(help="left or right: the side whose values the fields not --set take.")
    ] = None,
    values: Annotated[
        list[str] | None, typer.Option("--set", help="FIELD=VALUE for both sides (VALUE read as JSON, else text).")
    ] = None,
) -> None:
    """Write the chosen values to the side(s) that differ (the running ferry carries it out), and close it."""
    if take not in (None, "left", "right"):
        raise ConfigError(f"--take must be left or right, not '{take}'.")
    choices: dict[str, Choice] = {field: {"value": value} for field, value in parse_sets(values).items()}
    side: Literal["left", "right"] | None = take  # type: ignore[assignment]

    async def main() -> list[str]:
        project, store = await _viewer(project_dir)
        try:
            found = await _review(ReviewDesk(store), review_id, project_dir)
            if found.state != "open":
                raise ConfigError(f"Review {review_id} is already {found.state} (by {found.decided_by}).")
            try:
                done = await resolve(
                    ReviewDesk(store), _spec(project, found), found, choices, side, by=getpass.getuser()
                )
            except DecisionError as exc:
                raise ConfigError(str(exc)) from None
        finally:
            await store.close()
        if not done.decided:
            raise ConfigError(f"Review {review_id} was decided meanwhile.")
        lines = [
            f"{e.side} record {e.record_id} written to the other side: {', '.join(ed.changes)}" for e, ed in done.writes
        ]
        return lines + done.notes

    for line in _run(main()) or ["Nothing differs: the review is closed, nothing to write."]:
        console.print(line)
    console.print(f"Review {review_id} resolved; the running ferry writes the chosen values.")


@reviews_app.command("dismiss")
def reviews_dismiss(
    review_id: int,
    reason: Annotated[str, typer.Option(help="Why nothing is written (kept in the audit).")],
    project_dir: ProjectOption = Path("."),
) -> None:
    """Close a review without writing anything: both sides keep what they hold."""

    async def main() -> bool:
        _, store = await _viewer(project_dir)
        try:
            return await ReviewDesk(store).dismiss(review_id, by=getpass.getuser(), reason=reason)
        finally:
            await store.close()

    if not _run(main()):
        raise ConfigError(f"Review {review_id} is not open (already decided, or unknown).")
    console.print(f"Dismissed review {review_id}.")


def _show(value: Any) -> str:
    return "" if value is None else value if isinstance(value, str) else json.dumps(value, default=str)
