"""The mapping designer's API: a sync's mapping with the schemas on both sides and sample records,
a preview of a draft over those samples, and saving the draft back to the mapping file.

Samples are read live from the source system (a first page, nothing written anywhere); schemas come
from the connectors' metadata (`describe()`), custom fields included. A saved mapping takes effect
when ferry next starts (the running engine keeps the mapping it compiled).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from ferry.connectors import Connector
from ferry.core.errors import ConfigError, FerryError, ValidationError
from ferry.core.problems import Problem
from ferry.core.redact import redact
from ferry.engine.spec import SyncSpec
from ferry.mapping.loader import compile_text
from ferry.project import Project
from ferry.project.edit import replace_file
from ferry.project.mapping_edit import fields_of, with_fields

Direction = Literal["left_to_right", "right_to_left"]
SAMPLES = 5


class FieldInfo(BaseModel):
    name: str
    type: str
    required: bool = False
    read_only: bool = False


class EndInfo(BaseModel):
    connection: str
    entity: str
    fields: list[FieldInfo] = Field(description="From the system's metadata; empty when it has none.")
    error: str | None = Field(None, description="Why the schema could not be read.")


class FieldMapOut(BaseModel):
    target: str
    expression: str


class DesignerOut(BaseModel):
    sync: str
    direction: Direction
    file: str
    source: EndInfo
    target: EndInfo
    fields: list[FieldMapOut]
    samples: list[dict[str, Any]] = Field(description="Records read from the source just now (secrets masked).")
    samples_error: str | None = None


class Draft(BaseModel):
    direction: Direction = "left_to_right"
    fields: dict[str, str | None] = Field(description="Target field -> expression; null removes the field.")
    samples: list[dict[str, Any]] | None = Field(None, max_length=50, description="Records to preview on.")


class ProblemOut(BaseModel):
    message: str
    line: int | None = None
    column: int | None = None
    hint: str | None = None


class PreviewRow(BaseModel):
    input_id: str | None
    output: dict[str, Any] | None
    errors: dict[str, str] = Field(description="Target field -> why it could not be mapped for this record.")


class PreviewOut(BaseModel):
    problems: list[ProblemOut] = Field(description="Why the draft does not compile (then there are no rows).")
    rows: list[PreviewRow]
    diff: str


class SavedOut(BaseModel):
    file: str
    diff: str
    applies: str = "when ferry next starts: the running engine keeps the mapping it compiled"


def designer_routes(
    project: Project | None,
    specs: Mapping[str, SyncSpec],
    connectors: Mapping[str, Connector],
    admin: Callable[..., Awaitable[Any]],
) -> APIRouter:
    router = APIRouter(prefix="/api/flows", tags=["designer"])

    def file_of(name: str, direction: Direction) -> tuple[SyncSpec, Path]:
        if project is None or name not in specs:
            known = ", ".join(sorted(specs)) or "none"
            raise HTTPException(404, f"There is no sync '{name}'; there are: {known}.")
        relative = getattr(project.sync(name).map, direction)
        if relative is None:
            raise HTTPException(422, f"Sync '{name}' has no {direction.replace('_', ' ')} mapping.")
        return specs[name], project.root / relative

    async def end(connection: str, entity: str) -> EndInfo:
        try:
            schemas = await connectors[connection].describe()
        except (FerryError, KeyError) as exc:
            reason = exc.message if isinstance(exc, FerryError) else "no such connection"
            return EndInfo(connection=connection, entity=entity, fields=[], error=reason)
        schema = next((s for s in schemas if s.name == entity), None)
        fields = [
            FieldInfo(name=f.name, type=str(f.type), required=f.required, read_only=f.read_only)
            for f in (schema.fields.values() if schema else [])
        ]
        return EndInfo(connection=connection, entity=entity, fields=sorted(fields, key=lambda f: f.name))

    async def samples(spec: SyncSpec, direction: Direction) -> tuple[list[dict[str, Any]], str | None]:
        side = spec.left if direction == "left_to_right" else spec.right
        try:
            page = await connectors[side.connection].read(side.entity, None, page_size=SAMPLES, **side.options)
        except FerryError as exc:
            return [], f"{side.connection} did not give sample records: {exc.message}"
        return [{"id": r.id, **r.data} for r in page.records[:SAMPLES]], None

    @router.get("/{name}/designer", response_model=DesignerOut)
    async def show(name: str, direction: Direction = "left_to_right") -> DesignerOut:
        """The mapping of one direction of a sync, with both schemas and live sample records."""
        spec, path = file_of(name, direction)
        source, target = (spec.left, spec.right) if direction == "left_to_right" else (spec.right, spec.left)
        records, error = await samples(spec, direction)
        return DesignerOut(
            sync=name,
            direction=direction,
            file=str(path.relative_to(project.root)) if project else str(path),
            source=await end(source.connection, source.entity),
            target=await end(target.connection, target.entity),
            fields=[FieldMapOut(target=t, expression=e) for t, e in fields_of(path.read_text())],
            samples=[redact(r) for r in records],
            samples_error=error,
        )

    def draft_text(path: Path, draft: Draft) -> tuple[str, str]:
        try:
            return with_fields(path.read_text(), draft.fields, name=path.name)
        except ConfigError as exc:
            raise HTTPException(422, exc.message) from None

    def compiled(path: Path, text: str) -> tuple[Any, list[ProblemOut]]:
        mapping, problems = compile_text(text, file=str(path), root=project.root if project else None)
        return mapping, [_problem(p) for p in problems]

    @router.post("/{name}/designer/preview", response_model=PreviewOut)
    async def preview(name: str, draft: Draft) -> PreviewOut:
        """Compile the draft and map the samples with it; nothing is saved or written."""
        spec, path = file_of(name, draft.direction)
        text, diff = draft_text(path, draft)
        mapping, problems = compiled(path, text)
        if mapping is None:
            return PreviewOut(problems=problems, rows=[], diff=diff)
        records = draft.samples if draft.samples is not None else (await samples(spec, draft.direction))[0]
        rows = []
        for record in records:
            record_id = record.get("id")
            try:
                out = mapping.apply(record, context={"source_id": record_id}, creating=True)
                rows.append(PreviewRow(input_id=_text(record_id), output=redact(out), errors={}))
            except ValidationError as exc:
                errors = dict(getattr(exc, "field_errors", None) or {}) or {"": exc.message}
                rows.append(PreviewRow(input_id=_text(record_id), output=None, errors=errors))
        return PreviewOut(problems=[], rows=rows, diff=diff)

    @router.put("/{name}/designer", response_model=SavedOut, dependencies=[Depends(admin)])
    async def save(name: str, draft: Draft) -> SavedOut:
        """Save the draft to the mapping file, only if it compiles (else 422 with every problem)."""
        _, path = file_of(name, draft.direction)
        text, diff = draft_text(path, draft)
        mapping, problems = compiled(path, text)
        if mapping is None:
            where = "; ".join(f"line {p.line}: {p.message}" if p.line else p.message for p in problems)
            raise HTTPException(422, f"The mapping would not compile, so it is unchanged: {where}")
        if not diff:
            raise HTTPException(422, "The draft changes nothing.")
        replace_file(path, text)
        return SavedOut(file=str(path.relative_to(project.root)) if project else str(path), diff=diff)

    return router


def _problem(p: Problem) -> ProblemOut:
    return ProblemOut(message=p.message, line=p.line, column=p.column, hint=p.hint)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
