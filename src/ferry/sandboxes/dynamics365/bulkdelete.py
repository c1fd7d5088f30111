"""The unbound `BulkDelete` action: delete every row that a set of `QueryExpression`s matches, as a System Job.

Dataverse answers with the job's id at once and deletes in the background; the sandbox runs the job before it
answers, so the job (an `asyncoperations` row, operation type 13) is already finished when the caller sees its id.
A row that cannot be deleted (a restricting relationship) is left in place and counted as a failure, as the
real job does, without failing the request.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from ferry.sandboxes.dynamics365.errors import NOT_SUPPORTED, ODataError, bad_request
from ferry.sandboxes.dynamics365.filters import sort_key
from ferry.sandboxes.dynamics365.schema import NUMBER_KINDS, Column, Kind, Table
from ferry.sandboxes.dynamics365.store import Ref, Row
from ferry.sandboxes.dynamics365.values import parse_guid

if TYPE_CHECKING:
    from ferry.sandboxes.dynamics365.service import ApiRequest, DataverseService

BULK_DELETE_OPERATION = 13
Matcher = Callable[[Row], bool]


def run(svc: DataverseService, req: ApiRequest) -> dict[str, Any]:
    body = req.body or {}
    queries = body.get("QuerySet")
    if not isinstance(queries, list) or not queries or not all(isinstance(q, dict) for q in queries):
        raise bad_request('BulkDelete needs a non-empty "QuerySet" array of QueryExpression objects.')
    job_name = body.get("JobName")
    if not isinstance(job_name, str) or not job_name.strip():
        raise bad_request('BulkDelete needs a "JobName".')
    if body.get("RecurrencePattern"):
        raise bad_request(
            "The sandbox runs bulk delete jobs once; it does not schedule recurring ones (RecurrencePattern).",
            NOT_SUPPORTED,
        )
    targets = [_matching(svc, query) for query in queries]  # validate every query before deleting anything
    deleted = failed = 0
    for table, row_ids in targets:
        for row_id in row_ids:
            if svc.store.get(table.logical_name, row_id) is None:
                continue  # already removed by a cascade from an earlier row
            try:
                with svc.store.savepoint():
                    svc.writer.delete(table, row_id, req.caller)
                deleted += 1
            except ODataError:
                failed += 1
    job_id = str(uuid.uuid4())
    _record_job(svc, job_id, job_name, req.caller, deleted, failed)
    return {"@odata.context": f"{svc.root}$metadata#Microsoft.Dynamics.CRM.BulkDeleteResponse", "JobId": job_id}


def _matching(svc: DataverseService, query: dict[str, Any]) -> tuple[Table, list[str]]:
    name = query.get("EntityName")
    table = svc.tables.get(name) if isinstance(name, str) else None
    if table is None:
        raise ODataError(404, "0x80040217", f"The entity with a name = '{name}' was not found in the MetadataCache.")
    if query.get("LinkEntities"):
        raise bad_request("The sandbox's bulk delete queries filter on the table's own columns (no LinkEntities).")
    criteria = query.get("Criteria")
    matches = _filter(table, criteria) if isinstance(criteria, dict) else (lambda row: True)
    rows = svc.store.rows[table.logical_name].values()
    return table, [row[table.primary_id] for row in rows if matches(row)]


def _filter(table: Table, criteria: dict[str, Any]) -> Matcher:
    """A `FilterExpression`: its `Conditions` and nested `Filters`, joined by `FilterOperator` (And / Or)."""
    operator = str(criteria.get("FilterOperator", "And"))
    if operator not in ("And", "Or"):
        raise bad_request(f"'{operator}' is not a valid FilterOperator; use And or Or.")
    parts = [_condition(table, c) for c in criteria.get("Conditions") or []]
    parts += [_filter(table, f) for f in criteria.get("Filters") or [] if isinstance(f, dict)]
    if operator == "And":
        return lambda row: all(part(row) for part in parts)
    return lambda row: any(part(row) for part in parts) if parts else True


def _condition(table: Table, condition: Any) -> Matcher:
    if not isinstance(condition, dict):
        raise bad_request("Each condition must be a ConditionExpression object.")
    name = condition.get("AttributeName")
    column = table.columns.get(name) if isinstance(name, str) else None
    if column is None:
        raise bad_request(
            f"'{table.logical_name}' entity doesn't contain attribute with Name = '{name}'.", "0x80041103"
        )
    operator = str(condition.get("Operator", ""))
    values = [_operand(column, v) for v in condition.get("Values") or []]
    test = _TESTS.get(operator)
    if test is None:
        raise bad_request(
            f"The sandbox's bulk delete queries support the condition operators {', '.join(_TESTS)}, not '{operator}'.",
            NOT_SUPPORTED,
        )
    wanted = 0 if operator in ("Null", "NotNull") else None if operator in ("In", "NotIn") else 1
    if (wanted is None and not values) or (wanted is not None and len(values) != wanted):
        raise bad_request(f"The condition operator '{operator}' on '{column.name}' got {len(values)} values.")
    return lambda row: test(_stored(row.get(column.name)), values)


def _stored(value: Any) -> Any:
    return value.id if isinstance(value, Ref) else value


def _operand(column: Column, raw: Any) -> Any:
    """A condition value (`{"Value": ..., "Type": "System.Guid"}` or a bare value) in the stored representation."""
    value = raw.get("Value") if isinstance(raw, dict) else raw
    if value is None:
        return None
    if column.kind in (Kind.GUID, Kind.LOOKUP):
        guid = parse_guid(str(value))
        if guid is None:
            raise bad_request(f"'{value}' is not a valid Guid for the attribute '{column.name}'.")
        return guid
    if column.kind in NUMBER_KINDS and not isinstance(value, bool):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise bad_request(f"'{value}' is not a valid number for the attribute '{column.name}'.") from None
    if column.kind in (Kind.DATETIME, Kind.DATE) and isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise bad_request(f"'{value}' is not a valid date for the attribute '{column.name}'.") from None
        if column.kind is Kind.DATE:
            return parsed.date()
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return value


def _cmp(actual: Any, expected: Any) -> int | None:
    """-1/0/1 in SQL Server's order (strings ignore case); None when either side is null or they don't compare."""
    if actual is None or expected is None:
        return None
    if isinstance(actual, datetime | date) != isinstance(expected, datetime | date):
        return None
    a, b = sort_key(actual), sort_key(expected)
    try:
        return (a > b) - (a < b)
    except TypeError:
        return None


def _like(actual: Any, pattern: Any) -> bool:
    if not isinstance(actual, str) or not isinstance(pattern, str):
        return False
    regex = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.fullmatch(regex, actual, re.IGNORECASE | re.DOTALL) is not None


_TESTS: dict[str, Callable[[Any, list[Any]], bool]] = {
    "Equal": lambda a, vs: _cmp(a, vs[0]) == 0,
    "NotEqual": lambda a, vs: _cmp(a, vs[0]) not in (0, None),
    "GreaterThan": lambda a, vs: _cmp(a, vs[0]) == 1,
    "GreaterEqual": lambda a, vs: _cmp(a, vs[0]) in (0, 1),
    "LessThan": lambda a, vs: _cmp(a, vs[0]) == -1,
    "LessEqual": lambda a, vs: _cmp(a, vs[0]) in (0, -1),
    "In": lambda a, vs: any(_cmp(a, v) == 0 for v in vs),
    "NotIn": lambda a, vs: a is not None and all(_cmp(a, v) not in (0, None) for v in vs),
    "Null": lambda a, vs: a is None,
    "NotNull": lambda a, vs: a is not None,
    "Like": lambda a, vs: _like(a, vs[0]),
    "NotLike": lambda a, vs: a is not None and not _like(a, vs[0]),
    "BeginsWith": lambda a, vs: _like(a, f"{vs[0]}%"),
    "EndsWith": lambda a, vs: _like(a, f"%{vs[0]}"),
}


def _record_job(svc: DataverseService, job_id: str, name: str, caller: Ref, deleted: int, failed: int) -> None:
    now = svc.clock.now()
    row: Row = {c: None for c in svc.tables["asyncoperation"].columns}
    row.update(
        {
            "asyncoperationid": job_id,
            "name": name,
            "operationtype": BULK_DELETE_OPERATION,
            "statecode": 3,
            "statuscode": 30,
            "message": f"{failed} of {deleted + failed} records could not be deleted." if failed else None,
            "completedon": now,
            "createdon": now,
            "modifiedon": now,
            "createdby": caller,
            "modifiedby": caller,
            "versionnumber": svc.store.next_version(),
        }
    )
    svc.store.put("asyncoperation", row)


__all__ = ["run"]
