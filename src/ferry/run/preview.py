"""Mapping records read now from a sync's source, to see what the mapping makes of real data. Read only:
nothing is written to any system, nor to the project's store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ferry import mapping
from ferry.connectors import connector_class
from ferry.core.errors import ConfigError, FerryError
from ferry.core.records import Record
from ferry.mapping.testrun import try_apply
from ferry.project import Project
from ferry.run.assemble import side_spec

DEFAULT_COUNT = 5


@dataclass(frozen=True, slots=True)
class LiveSource:
    """One side of a sync that a mapping reads from, and how many of its records to map."""

    sync: str
    side: str
    connection: str
    entity: str
    mapping_file: str
    count: int = DEFAULT_COUNT


@dataclass(frozen=True, slots=True)
class LiveRecord:
    """One record read from a source, and what its mapping made of it."""

    source: LiveSource
    mapping: str
    record_id: str
    input: dict[str, Any]
    output: dict[str, Any] | None
    failure: dict[str, str] = field(default_factory=dict)


def sources(project: Project, flow: str | None, live: str | None) -> list[LiveSource]:
    """The sources to read: every mapped side of the chosen syncs, or those `CONNECTION:ENTITY[:N]` names."""
    connection, entity, count = _parse(live) if live is not None else (None, None, DEFAULT_COUNT)
    syncs = [project.sync(flow)] if flow is not None else project.syncs
    found = []
    for sync in syncs:
        for side, file in (("left", sync.map.left_to_right), ("right", sync.map.right_to_left)):
            end = getattr(sync, side)
            if file and (connection is None or (end.connection, end.entity) == (connection, entity)):
                found.append(LiveSource(sync.name, side, end.connection, end.entity, file, count))
    if not found:
        known = sorted({f"{getattr(s, d).connection}:{getattr(s, d).entity}" for s in syncs for d in ("left", "right")})
        raise ConfigError(f"no sync maps records from {live}: the sources of the syncs are {', '.join(known)}")
    return found


def _parse(text: str) -> tuple[str, str, int]:
    parts = text.split(":")
    usage = f"--live {text!r}: write CONNECTION:ENTITY or CONNECTION:ENTITY:N, e.g. d365:accounts:5"
    if len(parts) not in (2, 3) or not all(parts[:2]):
        raise ConfigError(usage)
    count = DEFAULT_COUNT
    if len(parts) == 3:
        if not parts[2].isdigit() or int(parts[2]) < 1:
            raise ConfigError(usage + " (N is a whole number above 0)")
        count = int(parts[2])
    return parts[0], parts[1], count


def _context(project: Project, source: LiveSource) -> dict[str, Any]:
    """What the engine passes a mapping creating a record (docs/mapping.md, "Context values")."""
    sync = project.sync(source.sync)
    target = sync.right if source.side == "left" else sync.left
    return {
        "sync": source.sync,
        "direction": "left_to_right" if source.side == "left" else "right_to_left",
        "source_entity": source.entity,
        "source_connection": source.connection,
        "target_entity": target.entity,
        "target_connection": target.connection,
        "target_id": None,
    }


async def read_live(project: Project, chosen: list[LiveSource]) -> list[LiveRecord]:
    """Read up to `count` records of each source and map each one as the sync would create it."""
    mapped: list[LiveRecord] = []
    contexts = {source: _context(project, source) for source in chosen}
    for source in chosen:
        compiled = mapping.load(project.root / source.mapping_file)
        side = side_spec(getattr(project.sync(source.sync), source.side))
        connector = connector_class(project.connections[source.connection].type)(
            project.connection_config(source.connection)
        )
        records: list[Record] = []
        try:
            cursor: str | None = None
            while len(records) < source.count:  # a page may hold fewer than asked, or deletions
                page = await connector.read(source.entity, cursor, page_size=source.count, **side.options)
                records += [r for r in page.records if not r.deleted]
                if not page.more or page.cursor in (None, cursor):
                    break
                cursor = page.cursor
        finally:
            await connector.aclose()
        for record in records[: source.count]:
            context = {**contexts[source], "source_id": record.id, "now": datetime.now(UTC)}
            output: dict[str, Any] | None
            try:
                output, failure = try_apply(compiled, dict(record.data), context, creating=True)
            except FerryError as exc:  # e.g. a twin() the preview cannot resolve without the store
                output, failure = None, {"": exc.message}
            mapped.append(LiveRecord(source, compiled.name, record.id, dict(record.data), output, failure))
    return mapped
