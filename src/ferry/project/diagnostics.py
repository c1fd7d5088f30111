"""Pydantic's validation errors as Problems that point at the line the user wrote."""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from ferry.core.problems import Problem
from ferry.project.source import Loc, SourceFile


def dotted(loc: Sequence[str | int]) -> str:
    """`syncs[0].left.connection` for ("syncs", 0, "left", "connection")."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "the project file"


def validation_problems(
    src: SourceFile,
    exc: PydanticValidationError,
    *,
    model: type[BaseModel],
    raw: Any,
    prefix: Loc = (),
    skip: Iterable[str] = (),
    sides: Callable[[Loc], dict[str, str]] | None = None,
) -> list[Problem]:
    """One Problem per wrong value in `raw` (the data validated against `model`, found at `prefix` in `src`).

    Errors under a top-level key in `skip` are left out (already reported in a clearer way). Errors about
    one value from several union members are merged into one. `sides(loc)` names the connections of the
    sync at `loc`, for a better hint when a key names a connection where `left` or `right` belongs.
    """
    skipped = set(skip)
    problems: list[Problem] = []
    values: dict[Loc, list[str]] = {}
    for error in exc.errors(include_url=False, include_input=False, include_context=False):
        loc = tuple(p for p in error["loc"] if p != "[key]")
        if loc and loc[0] in skipped:
            continue
        path = _data_path(raw, loc)
        if error["type"] in ("extra_forbidden", "missing") and path:
            side_names = sides(path) if sides is not None else None
            hint = _hint_for(error["type"], _model_at(model, loc[:-1]), path[-1], side_names)
            where = (*prefix, *path[:-1])
            if error["type"] == "missing":
                text = f"{dotted(where)} is missing the required key '{path[-1]}'"
                problems.append(src.problem(where, text, hint))
            else:
                text = f"unknown key '{path[-1]}' in {dotted(where)}"
                problems.append(src.problem((*prefix, *path), text, hint))
            continue
        values.setdefault(path, []).append(error["msg"].removeprefix("Value error, "))
    for path, messages in values.items():
        text = f"{dotted((*prefix, *path))}: {' or '.join(dict.fromkeys(messages))}"
        problems.append(src.problem((*prefix, *path), text))
    return problems


def _hint_for(
    kind: str, parent: type[BaseModel] | None, key: str | int, side_names: dict[str, str] | None
) -> str | None:
    if kind == "extra_forbidden" and side_names and key in side_names.values():
        sides = ", ".join(f"{side} is {conn}" for side, conn in side_names.items())
        return f"name the sides `left` and `right`, not by connection ({sides})"
    if parent is None:
        return None
    if kind == "missing":
        info = parent.model_fields.get(str(key))
        return info.description if info is not None else None
    return f"allowed keys: {', '.join(parent.model_fields)}"


def _data_path(raw: Any, loc: Loc) -> Loc:
    """The part of pydantic's `loc` that names places in the data (dropping union tags and type names)."""
    path: list[str | int] = []
    current = raw
    for index, part in enumerate(loc):
        in_map = isinstance(current, dict) and part in current
        in_list = isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        if in_map or in_list:
            current = current[part]
        elif index == len(loc) - 1 and isinstance(current, dict) and isinstance(part, str):
            pass  # a key that is missing (or should not be there): still name it
        else:
            continue
        path.append(part)
    return tuple(path)


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model that holds the value at pydantic's `loc` inside `model`, following lists, dicts and unions."""
    annotation: Any = model
    for part in loc:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            info = annotation.model_fields.get(str(part))
            if info is None:
                return None
            annotation = info.annotation
        elif typing.get_origin(annotation) is list and isinstance(part, int):
            annotation = typing.get_args(annotation)[0]
        elif typing.get_origin(annotation) is dict:
            annotation = typing.get_args(annotation)[1]
        elif isinstance(annotation, list):  # union members: the part is the tag that chose one
            chosen = [m for m in annotation if _has_tag(m, part)]
            if not chosen:
                return None
            annotation = chosen[0]
        else:
            return None
    annotation = _unwrap(annotation)
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        members = [_unwrap(a) for a in typing.get_args(annotation) if a is not type(None)]
        return members[0] if len(members) == 1 else members
    return annotation


def _has_tag(member: Any, tag: object) -> bool:
    if not (isinstance(member, type) and issubclass(member, BaseModel)):
        return False
    return any(tag in typing.get_args(f.annotation) for f in member.model_fields.values())
