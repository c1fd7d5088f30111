"""`ferry mapping suggest`: the source fields likeliest to feed a target field of a sync's mapping."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.table import Table

from ferry.api.suggestions import mapping_lookups, seen_records
from ferry.cli.run import Json, ProjectDir, _run, console
from ferry.core.errors import ConfigError
from ferry.engine.store.sqlite import SqliteStore
from ferry.mapping import loader
from ferry.mapping.suggest import Field, Suggestion, suggest
from ferry.mapping.suggest.candidates import candidates
from ferry.project import Project
from ferry.run.assemble import state_path

Way = Literal["left_to_right", "right_to_left"]


def suggest_command(
    project_dir: ProjectDir,
    sync: Annotated[str, typer.Argument(help="The sync whose mapping the field belongs to.")],
    field: Annotated[str, typer.Argument(help="The target field, a dotted path such as BillingAddress.City.")],
    direction: Annotated[
        str | None, typer.Option(help="left_to_right or right_to_left; may be left out for a one-way sync.")
    ] = None,
    sample: Annotated[
        Path | None, typer.Option(help="A JSON file with a source record (or a list of them) to take fields from.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=20, help="How many suggestions.")] = 5,
    as_json: Json = False,
) -> None:
    """Rank the source fields for FIELD, with the expression to write, a confidence and the reason."""
    project = Project.load(project_dir)
    spec = project.sync(sync)
    way = _way(sync, spec.direction, direction)
    path = project.mapping_path(sync, way)
    mapping = loader.load(path)
    records = _samples(sample) + _run(_kept(project, sync, way))
    found = suggest(Field(field), candidates(mapping.fields_read, records), lookups=mapping_lookups(path), limit=limit)
    if as_json:
        print(json.dumps([s.as_dict() for s in found], indent=2))
        return
    _show(field, found, len(records))


def _way(sync: str, configured: str, asked: str | None) -> Way:
    if asked is None:
        if configured == "both":
            raise ConfigError(f"The sync '{sync}' goes both ways: say --direction left_to_right or right_to_left.")
        asked = configured
    if asked not in ("left_to_right", "right_to_left"):
        raise ConfigError(f"--direction must be left_to_right or right_to_left, not '{asked}'.")
    return "left_to_right" if asked == "left_to_right" else "right_to_left"


def _samples(path: Path | None) -> list[dict[str, Any]]:
    if path is None:
        return []
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise ConfigError(f"Could not read the sample records in {path}: {error}") from error
    records = data if isinstance(data, list) else [data]
    if not all(isinstance(record, dict) for record in records):
        raise ConfigError(f"{path} must hold a JSON object (a source record) or a list of them.")
    return records


async def _kept(project: Project, sync: str, way: Way) -> list[dict[str, Any]]:
    """The source records the project's store has kept (dead letters), when it has run."""
    path = state_path(project)
    if not path.exists():
        return []
    store = SqliteStore(path)
    await store.open(owner=False)
    try:
        return await seen_records(store, sync, "left" if way == "left_to_right" else "right")
    finally:
        await store.close()


def _show(field: str, found: list[Suggestion], samples: int) -> None:
    if not found:
        console.print(f"No source field looks like {field}; give a sample record with --sample FILE.")
        return
    table = Table(title=f"Suggestions for {field} ({samples} sample records)")
    for column in ("source", "expression", "confidence", "reason"):
        table.add_column(column)
    for s in found:
        table.add_row(s.source, s.expression, f"{s.confidence:.2f}", s.reason)
    console.print(table)
