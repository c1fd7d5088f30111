"""The control API's mapping suggestions: for a target field of a sync, the source fields likeliest to feed it.

The candidates are the fields the sync's mapping already reads plus every field of the source records
ferry has kept (dead-letter payloads), whose values are the samples the suggester looks at.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from ferry.core.errors import ConfigError
from ferry.engine.spec import SyncSpec
from ferry.engine.store.base import Side
from ferry.engine.store.sqlite import SqliteStore
from ferry.mapping.suggest import Field as SuggestField
from ferry.mapping.suggest import suggest
from ferry.mapping.suggest.candidates import candidates as source_fields
from ferry.project import Project

_PATH = re.compile(r"^[A-Za-z_@][\w@\-]*(\.[A-Za-z_@][\w@\-]*)*$")
_MAX_SAMPLES = 20
_STATES = ("open", "replayed", "dropped")


class SuggestionOut(BaseModel):
    source: str = Field(description="The source field (dotted path).")
    expression: str = Field(description="The mapping expression to write for the target field.")
    confidence: float = Field(ge=0, le=1, description="How sure, from 0 to 1.")
    reason: str = Field(description="Why, in one line.")


class SuggestionsOut(BaseModel):
    flow: str
    direction: Literal["left_to_right", "right_to_left"]
    source: str = Field(description="The source side, as connection/entity.")
    target: str = Field(description="The target side, as connection/entity.")
    field: str = Field(description="The target field the suggestions are for.")
    mapped: bool = Field(description="Whether the mapping writes this field already.")
    candidates: int = Field(description="How many source fields were weighed.")
    samples: int = Field(description="How many source records ferry has seen gave sample values.")
    suggestions: list[SuggestionOut] = Field(description="Best first.")


def suggestion_routes(store: SqliteStore, specs: Mapping[str, SyncSpec], project: Project | None = None) -> APIRouter:
    router = APIRouter()

    @router.get("/api/flows/{name}/suggestions", response_model=SuggestionsOut)
    async def suggestions(
        name: str,
        target: str = Query(description="The target field, a dotted path such as BillingAddress.City."),
        direction: Literal["left_to_right", "right_to_left"] | None = Query(
            None, description="Which way; may be left out for a one-way sync."
        ),
        limit: int = Query(5, ge=1, le=20),
    ) -> SuggestionsOut:
        spec = specs.get(name)
        if spec is None:
            known = ", ".join(sorted(specs)) or "none"
            raise HTTPException(404, f"The running project has no sync named '{name}' (its syncs: {known}).")
        way = _direction(spec, direction)
        origin: Side = "left" if way == "left_to_right" else "right"
        other: Side = "right" if origin == "left" else "left"
        mapping = spec.maps.get(origin)
        if mapping is None:
            raise HTTPException(
                422, f"The sync '{name}' has no mapping {way.replace('_', ' ')}; try the other direction."
            )
        field = target.strip()
        if not _PATH.match(field):
            raise HTTPException(
                422, f"'{target}' is not a field path: write names joined by dots, such as BillingAddress.City."
            )
        records = await seen_records(store, name, origin)
        candidates = source_fields(mapping.fields_read, records)
        lookups = _project_lookups(project, name, way)
        found = suggest(SuggestField(field), candidates, lookups=lookups, limit=limit)
        sides = {"left": spec.left, "right": spec.right}
        return SuggestionsOut(
            flow=name,
            direction=way,
            source=f"{sides[origin].connection}/{sides[origin].entity}",
            target=f"{sides[other].connection}/{sides[other].entity}",
            field=field,
            mapped=field in mapping.fields_written,
            candidates=len(candidates),
            samples=len(records),
            suggestions=[SuggestionOut(**s.as_dict()) for s in found],
        )

    return router


def _direction(spec: SyncSpec, asked: Literal["left_to_right", "right_to_left"] | None) -> str:
    if asked is None:
        if spec.direction == "both":
            raise HTTPException(
                422, f"The sync '{spec.name}' goes both ways: say direction=left_to_right or direction=right_to_left."
            )
        return spec.direction
    if spec.direction not in ("both", asked):
        raise HTTPException(422, f"The sync '{spec.name}' only goes {spec.direction.replace('_', ' ')}.")
    return asked


async def seen_records(store: SqliteStore, sync: str, side: Side) -> list[dict[str, Any]]:
    """Source records ferry has kept for this sync and side, newest last, at most a few."""
    records: list[dict[str, Any]] = []
    for state in _STATES:
        for letter in await store.dead_letters(sync=sync, state=state):
            if letter.side == side and isinstance(letter.payload, dict):
                records.append(letter.payload)
    return records[-_MAX_SAMPLES:]


def mapping_lookups(path: Path) -> dict[str, tuple[Any, ...]]:
    """The keys of each lookup table of the mapping file at `path` (none when it cannot be read)."""
    try:
        doc = YAML(typ="safe").load(path.read_text()) or {}
    except (OSError, YAMLError, ValueError):
        return {}
    tables = doc.get("lookups") or {} if isinstance(doc, dict) else {}
    return {str(name): tuple((table or {}).get("values") or {}) for name, table in tables.items()}


def _project_lookups(project: Project | None, sync: str, way: str) -> dict[str, tuple[Any, ...]]:
    if project is None:
        return {}
    try:
        return mapping_lookups(project.mapping_path(sync, way))
    except ConfigError:
        return {}
