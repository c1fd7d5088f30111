"""Everything `ferry validate` checks, each finding a Problem with file, line and hint."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError as PydanticValidationError

from ferry.core.errors import ConfigError
from ferry.core.problems import Problem, ProblemsError
from ferry.project.alert_checks import alert_secrets, check_alerts
from ferry.project.connectors import accepts_text, connection_model, connection_types, is_secret
from ferry.project.diagnostics import dotted, validation_problems
from ferry.project.models import ProjectSpec, Sync, Workflow
from ferry.project.refs import BadReference, Reference, parse_reference
from ferry.project.source import Loc, SourceFile, YamlSyntaxError, read_yaml
from ferry.vault import Vault, find_key, vault_file

PROJECT_FILE = "ferry.yaml"
MappingChecker = Callable[[Path], list[Problem]]


@dataclass
class Findings:
    """What checking a project found: problems (any one fails it) and notes (worth knowing, not wrong)."""

    spec: ProjectSpec | None = None
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    mappings: list[Path] = field(default_factory=list)


def check_project(root: Path, environ: Mapping[str, str], mapping_checker: MappingChecker | None) -> Findings:
    """Check the project in `root`: its file, connections, syncs, mapping files and secrets."""
    found = Findings()
    path = root / PROJECT_FILE
    if not path.is_file():
        hint = f"create one with: ferry init {root} --template dynamics365-tims"
        found.problems.append(Problem(f"no {PROJECT_FILE} in {root}", file=str(path), hint=hint))
        return found
    try:
        src = read_yaml(path)
    except YamlSyntaxError as exc:
        found.problems.append(exc.problem)
        return found
    data = src.data
    if not isinstance(data, dict):
        message = "the project file must be a mapping with the keys version, name, connections and syncs"
        found.problems.append(src.problem((), message, "start from: ferry init DIR --template dynamics365-tims"))
        return found
    try:
        spec = ProjectSpec.model_validate(data)
    except PydanticValidationError as exc:
        spec = None
        found.problems += validation_problems(src, exc, model=ProjectSpec, raw=data, sides=_side_names(data))
    raw_connections: dict[str, Any] = _part(data, "connections", dict)
    secrets: list[tuple[Reference, Loc]] = []
    for name, raw in raw_connections.items():
        found.problems += _check_connection(src, name, raw, secrets, found.notes, environ)
    secrets += alert_secrets(data)
    found.problems += _check_secrets(src, root, secrets, environ, found.notes)
    raw_syncs: list[Any] = _part(data, "syncs", list)
    found.problems += _check_syncs(src, root, raw_syncs, set(raw_connections), found, mapping_checker)
    raw_workflows: list[Any] = _part(data, "workflows", list)
    found.problems += _check_workflows(src, root, raw_workflows, set(raw_connections), raw_syncs, found)
    found.problems += check_alerts(src, data)
    found.problems.sort(key=lambda p: (p.file or "", p.line or 0, p.column or 0))
    found.spec = spec if not found.problems else None
    return found


def _side_names(data: dict[str, Any]) -> Callable[[Loc], dict[str, str]]:
    """For a place inside a sync, which connection each side of that sync names."""

    def sides(loc: Loc) -> dict[str, str]:
        syncs = _part(data, "syncs", list)
        if len(loc) < 2 or loc[0] != "syncs" or not isinstance(loc[1], int) or not isinstance(syncs[loc[1]], dict):
            return {}
        sync = syncs[loc[1]]
        return {
            side: sync[side]["connection"]
            for side in ("left", "right")
            if isinstance(sync.get(side), dict) and isinstance(sync[side].get("connection"), str)
        }

    return sides


def _part(data: dict[str, Any], key: str, kind: type[Any]) -> Any:
    value = data.get(key)
    return value if isinstance(value, kind) else kind()


def _check_connection(
    src: SourceFile,
    name: str,
    raw: Any,
    secrets: list[tuple[Reference, Loc]],
    notes: list[str],
    environ: Mapping[str, str],
) -> list[Problem]:
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        return []  # reported by the project model: not a mapping, or no type
    loc: Loc = ("connections", name)
    try:
        model = connection_model(raw["type"])
    except ConfigError:
        hint = f"installed types: {', '.join(connection_types())}"
        return [src.problem((*loc, "type"), f"unknown connection type '{raw['type']}'", hint)]
    problems: list[Problem] = []
    reported: set[str] = set()
    for key, value in raw.items():
        where = (*loc, key)
        try:
            ref = parse_reference(value)
        except BadReference as exc:
            problems.append(src.problem(where, f"{dotted(where)}: {exc}"))
            reported.add(key)
            continue
        if ref is None and is_secret(model, key) and value is not None:
            secret_name = f"{name}-{key}".replace("_", "-")
            problems.append(
                src.problem(
                    where,
                    f"{dotted(where)} is a secret written out in the project file",
                    f"store it with `ferry secrets set {src.path.parent} {secret_name}` "
                    f"and write `${{secret:{secret_name}}}`",
                )
            )
            reported.add(key)
        elif ref is not None and not accepts_text(model, key):
            problems.append(src.problem(where, f"{dotted(where)}: a reference can only stand for a text value"))
            reported.add(key)
        elif ref is not None and ref.kind == "secret":
            secrets.append((ref, where))
        elif ref is not None and ref.name not in environ:
            notes.append(f"{dotted(where)} needs the environment variable {ref.name}, not set here")
    try:
        model.model_validate(raw)
    except PydanticValidationError as exc:
        problems += validation_problems(src, exc, model=model, raw=raw, prefix=loc, skip=reported)
    return problems


def _check_secrets(
    src: SourceFile, root: Path, refs: list[tuple[Reference, Loc]], environ: Mapping[str, str], notes: list[str]
) -> list[Problem]:
    if not refs:
        return []
    path = vault_file(root)
    stored: set[str] = set()
    if path.exists():
        try:
            key = find_key(root, environ)
            if key is None:
                notes.append(f"secrets not checked: no key for the vault {path}")
                return []
            stored = set(Vault(path, key).names())
        except ConfigError as exc:
            return [Problem(exc.message, file=str(path))]
    return [
        src.problem(
            loc,
            f"{dotted(loc)}: the secret '{ref.name}' is not in the project's vault",
            f"store it with `ferry secrets set {root} {ref.name}`",
        )
        for ref, loc in refs
        if ref.name not in stored
    ]


def _check_syncs(
    src: SourceFile,
    root: Path,
    raw_syncs: list[Any],
    connections: set[str],
    found: Findings,
    mapping_checker: MappingChecker | None,
) -> list[Problem]:
    problems: list[Problem] = []
    first_seen: dict[str, int] = {}
    checked: set[Path] = set()
    for index, raw in enumerate(raw_syncs):
        loc: Loc = ("syncs", index)
        if isinstance(raw, dict) and isinstance(raw.get("name"), str):
            if raw["name"] in first_seen:
                message = f"two syncs are named '{raw['name']}' (the first is syncs[{first_seen[raw['name']]}])"
                problems.append(src.problem((*loc, "name"), message, "give each sync its own name"))
            first_seen.setdefault(raw["name"], index)
        try:
            sync = Sync.model_validate(raw)
        except PydanticValidationError:
            continue  # reported by the project model, with lines
        problems += _check_sides(src, loc, sync, connections)
        for direction, relative in _mapping_files(src, loc, sync, problems):
            mapping = root / relative
            if not mapping.is_file():
                problems.append(
                    src.problem(
                        (*loc, "map", direction),
                        f"mapping file not found: {relative}",
                        f"paths are relative to the project directory {root}",
                    )
                )
            else:
                problems += _check_find_by(src, loc, sync, direction, mapping)
                if mapping not in checked:
                    checked.add(mapping)
                    found.mappings.append(mapping)
                    problems += check_mapping(mapping, mapping_checker)
    names = {raw["name"] for raw in raw_syncs if isinstance(raw, dict) and isinstance(raw.get("name"), str)}
    for index, raw in enumerate(raw_syncs):
        rules = raw.get("match") if isinstance(raw, dict) else None
        for n, rule in enumerate(rules if isinstance(rules, list) else []):
            via = rule.get("via") if isinstance(rule, dict) else None
            if isinstance(via, str) and via not in names:
                known = ", ".join(sorted(names))
                problems.append(
                    src.problem(
                        ("syncs", index, "match", n, "via"),
                        f"match via '{via}': the project has no sync of that name",
                        f"defined syncs: {known}",
                    )
                )
    return problems


def _check_sides(src: SourceFile, loc: Loc, sync: Sync, connections: set[str]) -> Iterator[Problem]:
    for side in ("left", "right"):
        name = getattr(sync, side).connection
        if name not in connections:
            defined = ", ".join(sorted(connections)) or "none"
            hint = f"defined connections: {defined}"
            yield src.problem((*loc, side, "connection"), f"connection '{name}' is not defined", hint)
    if (sync.left.connection, sync.left.entity) == (sync.right.connection, sync.right.entity):
        yield src.problem((*loc, "right"), "both sides of the sync are the same entity of the same connection")
    for side, writes in (("right", sync.direction.writes_right), ("left", sync.direction.writes_left)):
        if getattr(sync.link, side) is not None and not writes:
            other = "left" if side == "right" else "right"
            yield src.problem(
                (*loc, "link", side),
                f"link.{side} names a field on the {side} side, which this sync never writes "
                f"(direction: {sync.direction.value})",
                f"use link.{other} to keep the {side} id in a {other} field, or change direction",
            )
    if not sync.trigger.webhooks and sync.trigger.poll_seconds is None:
        hint = "set webhooks: true or a poll_seconds"
        yield src.problem((*loc, "trigger"), "nothing starts this sync: no webhooks and no polling", hint)


def _check_find_by(src: SourceFile, loc: Loc, sync: Sync, direction: str, mapping: Path) -> list[Problem]:
    """A `find_by` field the mapping never writes would find nothing: say so, naming the mapping."""
    if not sync.find_by:
        return []
    try:
        fields = read_yaml(mapping).data.get("fields")
    except (YamlSyntaxError, AttributeError):
        return []  # the mapping's own check reports it
    written = set(fields) if isinstance(fields, dict) else set()
    return [
        src.problem(
            (*loc, "find_by"),
            f"find_by names '{name}', which map.{direction} ({getattr(sync.map, direction)}) does not write",
            f"write {name} in that mapping's fields (create_only: true keeps it out of updates)",
        )
        for name in sync.find_by
        if name not in written
    ]


def _mapping_files(src: SourceFile, loc: Loc, sync: Sync, problems: list[Problem]) -> Iterator[tuple[str, str]]:
    needed = {"left_to_right": sync.direction.writes_right, "right_to_left": sync.direction.writes_left}
    for direction, wanted in needed.items():
        relative = getattr(sync.map, direction)
        if relative is None and wanted:
            problems.append(
                src.problem(
                    (*loc, "map"),
                    f"direction {sync.direction.value} needs map.{direction}",
                    f"add `{direction}: mappings/<file>.yaml`",
                )
            )
        elif relative is not None:
            yield direction, relative


def _check_workflows(
    src: SourceFile, root: Path, raw: list[Any], connections: set[str], raw_syncs: list[Any], found: Findings
) -> list[Problem]:
    """Each workflow file loads, and names only connections and syncs the project has."""
    from ferry.workflow import load_checked
    from ferry.workflow.plan import SyncPlan

    problems: list[Problem] = []
    syncs = {s["name"] for s in raw_syncs if isinstance(s, dict) and isinstance(s.get("name"), str)}
    seen: set[str] = set()
    for index, entry in enumerate(raw):
        loc: Loc = ("workflows", index)
        try:
            workflow = Workflow.model_validate(entry)
        except PydanticValidationError:
            continue  # reported by the project model, with lines
        if workflow.name in syncs or workflow.name in seen:
            what = "a sync" if workflow.name in syncs else "another workflow"
            problems.append(src.problem((*loc, "name"), f"'{workflow.name}' is also the name of {what}"))
        seen.add(workflow.name)
        path = root / workflow.file
        if not path.is_file():
            hint = f"paths are relative to the project directory {root}"
            problems.append(src.problem((*loc, "file"), f"workflow file not found: {workflow.file}", hint))
            continue
        plan, trouble = load_checked(path, name=workflow.name)
        problems += trouble
        if plan is None:
            continue
        where = f"{workflow.file}: "
        named = [("the trigger", plan.trigger.connection)]
        for step in plan.walk():
            action = step.action
            connection = getattr(action, "connection", None)
            if connection is not None:
                named.append((f"step {step.name}", connection))
            if step.compensate is not None:
                named.append((f"step {step.name} (compensate)", step.compensate.connection))
            if isinstance(action, SyncPlan) and action.sync not in syncs:
                hint = "syncs: " + (", ".join(sorted(syncs)) or "none")
                problems.append(
                    src.problem(
                        (*loc, "file"),
                        f"{where}step {step.name} names the sync '{action.sync}', which the project does not have",
                        hint,
                    )
                )
        for who, connection in named:
            if connection not in connections:
                hint = "defined connections: " + (", ".join(sorted(connections)) or "none")
                problems.append(
                    src.problem(
                        (*loc, "file"), f"{where}{who} uses connection '{connection}', which is not defined", hint
                    )
                )
    return problems


def check_mapping(path: Path, mapping_checker: MappingChecker | None) -> list[Problem]:
    """Problems in one mapping file: YAML syntax here, the rest from the mapping language when installed."""
    try:
        read_yaml(path)
    except YamlSyntaxError as exc:
        return [exc.problem]
    if mapping_checker is None:
        return []
    try:
        return list(mapping_checker(path))
    except ProblemsError as exc:
        return list(exc.problems)


def mapping_language_checker() -> MappingChecker | None:
    """`ferry.mapping.check` when the mapping language is installed, else None (files are checked as YAML only)."""
    try:
        module = importlib.import_module("ferry.mapping")
    except ModuleNotFoundError as exc:
        if exc.name != "ferry.mapping":
            raise
        return None
    check = getattr(module, "check", None)
    if check is None:
        return None
    return lambda path: list(check(path))
