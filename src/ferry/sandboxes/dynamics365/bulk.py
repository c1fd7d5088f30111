"""The bulk messages `CreateMultiple`, `UpdateMultiple` and `UpsertMultiple`: many rows of one table in
one all-or-nothing operation, which is how high-volume clients stay under the service protection limits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ferry.sandboxes.dynamics365.errors import bad_request, not_found
from ferry.sandboxes.dynamics365.paths import parse_resource, resolve_key
from ferry.sandboxes.dynamics365.schema import Table

if TYPE_CHECKING:
    from ferry.sandboxes.dynamics365.service import ApiRequest, DataverseService

MESSAGES = ("CreateMultiple", "UpdateMultiple", "UpsertMultiple")
MAX_TARGETS = 1000


def run(svc: DataverseService, table: Table, message: str, req: ApiRequest) -> dict[str, Any] | None:
    """Apply every target or none (the caller's transaction rolls back on the first error)."""
    targets = (req.body or {}).get("Targets")
    if not isinstance(targets, list) or not targets or not all(isinstance(t, dict) for t in targets):
        raise bad_request(f'{message} needs a non-empty "Targets" array of {table.logical_name} records.')
    if len(targets) > MAX_TARGETS:
        raise bad_request(f"{message} accepts at most {MAX_TARGETS} targets; {len(targets)} were sent.")
    ids: list[str] = []
    for target in targets:
        kind = target.get("@odata.type", "")
        if kind.removeprefix("#") != table.entity_type:
            raise bad_request(f'Every target needs "@odata.type": "{table.entity_type}"; got \'{kind}\'.')
        body = {k: v for k, v in target.items() if k not in ("@odata.type", "@odata.id")}
        if message == "CreateMultiple":
            ids.append(svc.writer.create(table, body, req.caller)[table.primary_id])
            continue
        key = _target_key(table, target)
        row_id = svc.store.find_by_key(table.logical_name, key) if key else None
        if message == "UpdateMultiple":
            if row_id is None:
                raise not_found(table, str(key.get(table.primary_id) if key else "(no id)"))
            svc.writer.update(table, row_id, body, req.caller, strip=frozenset(key or ()))
            ids.append(row_id)
        elif row_id is None:
            extra = {k: v for k, v in (key or {}).items() if k != table.primary_id}
            created = svc.writer.create(
                table, body, req.caller, row_id=(key or {}).get(table.primary_id), key_values=extra
            )
            ids.append(created[table.primary_id])
        else:
            svc.writer.update(table, row_id, body, req.caller, strip=frozenset(key or ()))
            ids.append(row_id)
    if message == "UpdateMultiple":
        return None
    return {"@odata.context": f"{svc.root}$metadata#Microsoft.Dynamics.CRM.{message}Response", "Ids": ids}


def _target_key(table: Table, target: dict[str, Any]) -> dict[str, Any] | None:
    """A target names its row by `@odata.id`, by its primary id, or by the values of an alternate key."""
    if isinstance(target.get("@odata.id"), str):
        resource = parse_resource(target["@odata.id"].split("/api/data/v9.2/")[-1].lstrip("/"))
        if resource.key is None:
            raise bad_request(f"'{target['@odata.id']}' does not identify a record.")
        return resolve_key(table, resource.key)
    if target.get(table.primary_id):
        return {table.primary_id: str(target[table.primary_id]).lower()}
    for columns in table.alternate_keys:
        if all(target.get(c) not in (None, "") for c in columns):
            return {c: target[c] for c in columns}
    return None


__all__ = ["MESSAGES", "run"]
