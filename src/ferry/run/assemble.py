"""From a validated project to the parts the engine runs: connectors, compiled syncs, store, secrets."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from ferry import mapping
from ferry.connectors import Connector, connector_class
from ferry.engine.spec import ConflictPolicy, MatchRule, SideSpec, SyncSpec
from ferry.engine.store import SqliteStore
from ferry.engine.store.base import SIDES, Side, other
from ferry.http.stats import ConnectionStats, stats_scope
from ferry.mapping.paths import split_path
from ferry.project import Project
from ferry.project.models import Side as ProjectSide
from ferry.project.models import Sync
from ferry.vault import Vault
from ferry.workflow import WorkflowPlan
from ferry.workflow import load as load_workflow

STATE_FILE = Path(".ferry") / "state.db"


@dataclass
class Assembly:
    project: Project
    store: SqliteStore
    syncs: list[SyncSpec]
    connectors: dict[str, Connector]
    #: Shared secret per connection that receives webhooks.
    webhook_secrets: dict[str, str]
    #: Entities each connection should push changes for.
    webhook_entities: dict[str, list[str]] = field(default_factory=dict)
    #: Poll interval per sync and per workflow trigger (None: webhooks only).
    poll_seconds: dict[str, float | None] = field(default_factory=dict)
    workflows: list[WorkflowPlan] = field(default_factory=list)
    #: Health of each connection's HTTP traffic (kept by the HTTP seam).
    http_stats: dict[str, ConnectionStats] = field(default_factory=dict)

    async def aclose(self) -> None:
        for connector in self.connectors.values():
            await connector.aclose()
        await self.store.close()


def state_path(project: Project) -> Path:
    return project.root / STATE_FILE


def side_spec(side: ProjectSide) -> SideSpec:
    options: dict[str, Any] = {}
    if side.expand:
        options["expand"] = list(side.expand)
    if side.filter:
        options["filter"] = side.filter
    return SideSpec(side.connection, side.entity, options, tuple(side.search))


def sync_spec(project: Project, sync: Sync) -> SyncSpec:
    maps: dict[Side, mapping.Mapping] = {}
    if sync.map.left_to_right:
        maps["left"] = mapping.load(project.root / sync.map.left_to_right)
    if sync.map.right_to_left:
        maps["right"] = mapping.load(project.root / sync.map.right_to_left)
    link_field: tuple[Side, str] | None = None
    if sync.link.right:
        link_field = ("right", sync.link.right)
    elif sync.link.left:
        link_field = ("left", sync.link.left)
    conflicts = sync.conflicts
    winner = getattr(conflicts, "winner", None)
    return SyncSpec(
        name=sync.name,
        left=side_spec(sync.left),
        right=side_spec(sync.right),
        maps=maps,
        direction=sync.direction.value,
        link_field=link_field,
        match=tuple(MatchRule(m.left, m.right, m.via) for m in sync.match),
        find_by=tuple(sync.find_by),
        conflicts=ConflictPolicy(conflicts.policy, str(winner) if winner else None),  # type: ignore[arg-type]
        deletes=sync.deletes.value,
        history=sync.history.value,
    )


def columns_needed(spec: SyncSpec, side: Side) -> list[str] | None:
    """The top-level fields a sync needs of one side's records, or None when that cannot be known.

    That is what the side's outgoing mapping reads, what the incoming mapping writes (so a comparison
    with the current record sees them), the match fields, the link field and the fields the side names
    for record search; expanded lookups are read
    through their expansion, and bind annotations (`x@odata.bind`) are not columns.
    """
    outgoing, incoming = spec.maps.get(side), spec.maps.get(other(side))
    if outgoing is not None and not outgoing.fields_read:
        return None  # reads nothing by name (e.g. copies whole records): keep every column
    paths: set[str] = set()
    if outgoing is not None:
        paths |= outgoing.fields_read
    if incoming is not None:
        paths |= incoming.fields_written
    paths |= set(spec.side(side).search)
    parts = [split_path(p) for p in paths]
    names = {p[0] for p in parts if p}
    names |= {rule.left if side == "left" else rule.right for rule in spec.match}
    if spec.link_field is not None and spec.link_field[0] == side:
        names.add(spec.link_field[1])
    expanded = set(spec.side(side).options.get("expand") or ())
    return sorted(n for n in names if n and "@" not in n and n not in expanded)


def expansion_columns(spec: SyncSpec, side: Side) -> dict[str, list[str]] | None:
    """Columns the sync uses of each expanded lookup (`primarycontactid.firstname`), or None to keep all."""
    expand = spec.side(side).options.get("expand")
    if not isinstance(expand, list) or not expand:
        return None  # none, or columns chosen by the project already
    outgoing, incoming = spec.maps.get(side), spec.maps.get(other(side))
    paths = (outgoing.fields_read if outgoing else frozenset()) | (incoming.fields_written if incoming else frozenset())
    paths |= set(spec.side(side).search)
    nested: dict[str, list[str]] = {}
    for nav in expand:
        columns = sorted({p[1] for p in map(split_path, paths) if len(p) > 1 and p[0] == nav and "@" not in p[1]})
        if not columns:
            return None  # a lookup whose columns are not named (read whole): keep the project's choice
        nested[nav] = columns
    return nested


def _select_columns(spec: SyncSpec, connectors: Mapping[str, Connector]) -> SyncSpec:
    """Ask connectors that can read chosen columns (`selects_columns`) for only those the sync needs.

    Wide tables (a Dataverse account has well over a hundred columns) otherwise cost every read the
    bytes, the parsing and the system's own work for columns nothing uses.
    """
    sides = {}
    for side in SIDES:
        side_spec = spec.side(side)
        if getattr(connectors[side_spec.connection], "selects_columns", False):
            options = dict(side_spec.options)
            if columns := columns_needed(spec, side):
                options["select"] = columns
            if nested := expansion_columns(spec, side):
                options["expand"] = nested
            side_spec = dataclasses.replace(side_spec, options=options)
        sides[side] = side_spec
    return dataclasses.replace(spec, left=sides["left"], right=sides["right"])


async def assemble(
    project: Project, *, store_path: Path | None = None, owner: bool = True, environ: Mapping[str, str] | None = None
) -> Assembly:
    """Open everything a run needs; close it again with `Assembly.aclose()`."""
    syncs = [sync_spec(project, s) for s in project.syncs]
    workflows = [load_workflow(project.root / w.file, name=w.name) for w in project.workflows]
    used = {s.left.connection for s in syncs} | {s.right.connection for s in syncs}
    used |= {connection for w in workflows for connection, _ in w.watched()} | _step_connections(workflows)
    connectors: dict[str, Connector] = {}
    http_stats: dict[str, ConnectionStats] = {}
    try:
        for name in sorted(used):
            kind = project.connections[name].type
            with stats_scope(http_stats, name):
                connectors[name] = connector_class(kind)(project.connection_config(name))
        store = SqliteStore(store_path or state_path(project))
        await store.open(owner=owner)
    except BaseException:
        for connector in connectors.values():
            await connector.aclose()
        raise
    syncs = [_select_columns(spec, connectors) for spec in syncs]
    webhook_entities: dict[str, list[str]] = {}
    poll: dict[str, float | None] = {}
    for sync, spec in zip(project.syncs, syncs, strict=True):
        poll[sync.name] = float(sync.trigger.poll_seconds) if sync.trigger.poll_seconds else None
        if not sync.trigger.webhooks:
            continue
        for side in (spec.left, spec.right):
            if connectors[side.connection].webhooks is not None:
                entities = webhook_entities.setdefault(side.connection, [])
                if side.entity not in entities:
                    entities.append(side.entity)
    for workflow in workflows:
        poll[workflow.name] = float(workflow.trigger.poll_seconds) if workflow.trigger.poll_seconds else None
        if not workflow.trigger.webhooks:
            continue
        for connection, entity in sorted(workflow.watched()):
            if connectors[connection].webhooks is not None:
                entities = webhook_entities.setdefault(connection, [])
                if entity not in entities:
                    entities.append(entity)
    webhook_secrets = {name: _webhook_secret(project, name, environ) for name in webhook_entities}
    return Assembly(project, store, syncs, connectors, webhook_secrets, webhook_entities, poll, workflows, http_stats)


def _step_connections(workflows: list[WorkflowPlan]) -> set[str]:
    found: set[str] = set()
    for workflow in workflows:
        for step in workflow.walk():
            for action in (step.action, step.compensate):
                connection = getattr(action, "connection", None)
                if isinstance(connection, str):
                    found.add(connection)
    return found


def _webhook_secret(project: Project, connection: str, environ: Mapping[str, str] | None) -> str:
    """The connection's configured webhook secret, else one ferry made and keeps in the project's vault."""
    configured = getattr(project.connection_config(connection), "webhook_secret", None)
    if isinstance(configured, SecretStr):
        return configured.get_secret_value()
    vault = Vault.open(project.root, environ, create_key=True)
    name = f"ferry-webhook-{connection}"
    if name not in vault:
        vault.set(name, secrets.token_urlsafe(32))
    return vault.get(name).get_secret_value()
