"""`ferry records`: find a record by id, number, email or name, and show its lineage."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from ferry.api.records import MAX_LIMIT, MAX_QUERY, LineageOut, RecordMatch, match_out
from ferry.cli.run import Json, ProjectDir, _run, _viewer, console
from ferry.core.errors import ConfigError
from ferry.engine.lineage import lineage

records_app = typer.Typer(help="Records ferry has settled: find one by id, number, email or name; show its lineage.")


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""


@records_app.command("find")
def records_find(
    project_dir: ProjectDir,
    query: Annotated[str, typer.Argument(help="Part of an id, number, code, email or name; any case.")],
    limit: Annotated[int, typer.Option(min=1, max=MAX_LIMIT, help="At most this many matches.")] = 20,
    as_json: Json = False,
) -> None:
    """Records whose id, twin's id or identifying fields contain QUERY, best first."""
    text = query.strip()
    if not 1 <= len(text) <= MAX_QUERY:
        raise ConfigError(
            f"Give the text to look for: 1 to {MAX_QUERY} characters (an id, a number, an email, a name)."
        )

    async def main() -> list[RecordMatch]:
        _, store = await _viewer(project_dir)
        try:
            return [match_out(r) for r in await store.records.search(text, limit=limit)]
        finally:
            await store.close()

    matches = _run(main())
    if as_json:
        typer.echo(json.dumps([m.model_dump(mode="json") for m in matches], indent=2))
        return
    if not matches:
        console.print(f"No record matches {text!r}.")
        return
    table = Table("sync", "side", "system", "id", "record", "twin", "last seen")
    for m in matches:
        table.add_row(
            m.sync, m.side, f"{m.connection} {m.entity}", m.record_id, m.label, m.twin_id or "", _when(m.last_seen)
        )
    console.print(table)
    console.print(f"Lineage of one: ferry records show {project_dir} SYNC SIDE ID")


@records_app.command("show")
def records_show(
    project_dir: ProjectDir,
    sync: Annotated[str, typer.Argument(help="The sync the record belongs to.")],
    side: Annotated[str, typer.Argument(help="`left` or `right`.")],
    record_id: Annotated[str, typer.Argument(metavar="ID", help="The record's id in its system.")],
    as_json: Json = False,
) -> None:
    """The lineage of one record: everything ferry knows about it, oldest first, and its twin."""
    if side not in ("left", "right"):
        raise ConfigError(f"The side is `left` or `right`, not {side!r}.")

    async def main() -> LineageOut | None:
        _, store = await _viewer(project_dir)
        try:
            found = await lineage(store, sync, "left" if side == "left" else "right", record_id)
            return LineageOut.model_validate(found) if found is not None else None
        finally:
            await store.close()

    found = _run(main())
    if found is None:
        raise ConfigError(
            f"ferry knows nothing of {side} record {record_id!r} of sync {sync!r}; "
            f"find it with: ferry records find {project_dir} TEXT"
        )
    if as_json:
        typer.echo(json.dumps(found.model_dump(mode="json"), indent=2))
        return
    r = found.record
    console.print(f"[bold]{r.label}[/]  {r.sync} {r.side} {r.record_id} ({r.connection or '?'} {r.entity or '?'})")
    if found.twin is not None:
        t = found.twin
        console.print(f"twin: {t.label}  {t.side} {t.record_id} ({t.connection or '?'} {t.entity or '?'})")
        console.print(f"      its own lineage: ferry records show {project_dir} {t.sync} {t.side} {t.record_id}")
    if found.deleted:
        console.print("[yellow]the pair was unlinked by a deletion[/]")
    table = Table("at", "what", "side", "summary")
    for m in found.timeline:
        table.add_row(_when(m.at), m.kind, m.side, m.summary)
    console.print(table)
