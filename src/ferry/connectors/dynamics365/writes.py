"""Writing: each op becomes one request, or one change set with its related rows, sent in `$batch`es.

A CREATE is a POST (with a nested related row it is a deep insert). An UPDATE is a PATCH with
`If-Match` (`*`, or the op's version), an UPSERT a PATCH to the key URL (the primary id or an
alternate key such as `accounts(accountnumber='A-1001')`), a DELETE a DELETE. Dataverse refuses deep
insert on update, so for an UPDATE or UPSERT carrying a related row (`"primarycontactid": {...}`)
the connector first reads the lookup (`_primarycontactid_value`), then in one change set either
updates that row or creates one and binds it. Every request asks for `return=representation` with
only the primary id selected: that brings the new version (ETag) and, for an upsert, 201 or 200.

A write that closes a record Dataverse closes only through an action (a sales order's `statecode`
Fulfilled or Canceled, see `closing`) is the update of its other columns, then the action, in one change
set, followed by a GET for the version the action left. The current state is read first: an order
already in that state is not closed again, and a write that changes nothing else sends nothing.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ferry.connectors.dynamics365.batch import BatchRequest, ChangeSet, Part, PartResponse
from ferry.connectors.dynamics365.client import MAX_BATCH_REQUESTS, DataverseClient
from ferry.connectors.dynamics365.closing import STATE_COLUMNS, Closing, closing_for
from ferry.connectors.dynamics365.entities import Catalog, Table
from ferry.connectors.dynamics365.errors import error_body, error_for, is_missing_row
from ferry.connectors.dynamics365.query import etag_for, key_segment, version_of
from ferry.core.errors import FerryError, TransientError, ValidationError
from ferry.core.records import WriteKind, WriteOp, WriteResult

#: Ids derived from an op's idempotency key, so a repeated CREATE names the same row.
IDEMPOTENCY_NAMESPACE = uuid.UUID("0f3b7a52-1c8e-4d7e-9a64-3f0f1e9d2b10")
DUPLICATE_RECORD = "0x80040237"
_REPRESENTATION = {"Prefer": "return=representation"}
_ENTITY_ID = re.compile(r"\(([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\)\s*$")

Catalogue = Callable[[], Awaitable[Catalog]]


@dataclass(slots=True)
class _Unit:
    """One op on the wire: its requests (a change set when there are several) and the main one's id."""

    index: int
    op: WriteOp
    table: Table
    requests: list[BatchRequest] = field(default_factory=list)
    main: str = ""
    created_id: str | None = None  # the id an idempotent CREATE gives its row
    #: A GET sent after the requests, for the version an action left (actions answer 204, no ETag).
    after: BatchRequest | None = None
    #: The outcome when nothing needs sending (the record already is as the op wants it).
    settled: WriteResult | None = None

    @property
    def parts(self) -> list[Part]:
        first: Part = ChangeSet(self.requests) if len(self.requests) > 1 else self.requests[0]
        return [first] if self.after is None else [first, self.after]


@dataclass(frozen=True, slots=True)
class _Existing:
    """What a prefetch found: whether the row exists, and the ids its lookups point at."""

    exists: bool
    related: Mapping[str, str | None]
    state: Any = None
    version: str | None = None
    row_id: str | None = None


class Writer:
    def __init__(self, client: DataverseClient, catalog: Catalogue, batch_size: int) -> None:
        self.client = client
        self._catalog = catalog
        self.batch_size = batch_size

    async def write(self, ops: Sequence[WriteOp]) -> list[WriteResult]:
        catalog = await self._catalog()
        tables = [catalog.table(op.entity) for op in ops]
        results: list[WriteResult | None] = [None] * len(ops)
        nested = [_nested(op, table) for op, table in zip(ops, tables, strict=True)]
        closings = [
            None if op.kind is WriteKind.DELETE else closing_for(table.set_name, op.data)
            for op, table in zip(ops, tables, strict=True)
        ]
        wanted = [
            i
            for i, op in enumerate(ops)
            if (nested[i] or closings[i]) and op.kind in (WriteKind.UPDATE, WriteKind.UPSERT)
        ]
        existing = await self._prefetch(ops, tables, nested, closings, wanted, results)
        ids = (str(n) for n in itertools.count(1))
        units: list[_Unit] = []
        for i, (op, table) in enumerate(zip(ops, tables, strict=True)):
            if results[i] is not None:
                continue
            try:
                unit = self._unit(i, op, table, catalog, nested[i], closings[i], existing.get(i), ids)
            except FerryError as exc:
                results[i] = WriteResult(False, id=op.id, error=exc)
                continue
            if unit.settled is not None:
                results[i] = unit.settled
            else:
                units.append(unit)
        for chunk in self._chunks(units):
            answers = await self.client.batch([p for u in chunk for p in u.parts])
            at = 0
            for unit in chunk:
                answer = answers[at] if at < len(answers) else []
                after = answers[at + 1] if unit.after is not None and at + 1 < len(answers) else []
                at += len(unit.parts)
                results[unit.index] = self._result(unit, answer, after)
        final = [r if r is not None else WriteResult(False, error=TransientError("No answer.")) for r in results]
        failures = [r.error for r in final if not r.ok and r.error is not None]
        transient = [e for e in failures if isinstance(e, TransientError)]
        if final and len(transient) == len(final):
            raise transient[0]  # nothing got through: a failure of the whole call (throttled, down)
        return final

    # --- building ------------------------------------------------------------------------------------

    def _unit(
        self,
        index: int,
        op: WriteOp,
        table: Table,
        catalog: Catalog,
        nested: Mapping[str, dict[str, Any]],
        closing: Closing | None,
        existing: _Existing | None,
        ids: Iterator[str],
    ) -> _Unit:
        unit = _Unit(index, op, table)
        select = f"?$select={table.primary_id}"
        body = {
            k: v
            for k, v in op.data.items()
            if (k not in nested or op.kind is WriteKind.CREATE) and not (closing and k in STATE_COLUMNS)
        }
        if closing is not None and existing is not None and existing.state == closing.state:
            closing = None  # already in that state: an order is not closed twice
            if not body and not nested:
                unit.settled = WriteResult(True, id=existing.row_id or op.id, version=existing.version)
                return unit
        for nav, payload in nested.items():
            if op.kind is WriteKind.CREATE:
                break  # a deep insert: the nested row stays in the body
            if f"{nav}@odata.bind" in body:
                raise ValidationError(
                    f"Give {nav} either as a nested row or as {nav}@odata.bind, not both.", entity=op.entity
                )
            target = catalog.by_logical[table.navigations[nav].target]
            related = existing.related.get(nav) if existing else None
            cid = next(ids)
            if related:
                url = self.client.url(f"{target.set_name}({related})")
                unit.requests.append(BatchRequest("PATCH", url, payload, {"If-Match": "*"}, cid))
            else:
                unit.requests.append(BatchRequest("POST", self.client.url(target.set_name), payload, {}, cid))
                body[f"{nav}@odata.bind"] = f"${cid}"
        unit.main = next(ids)
        if op.kind is WriteKind.CREATE:
            if op.idempotency_key and table.primary_id not in body:
                unit.created_id = str(uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{table.set_name}:{op.idempotency_key}"))
                body[table.primary_id] = unit.created_id
            elif closing is not None and table.primary_id not in body:
                body[table.primary_id] = str(uuid.uuid4())  # the action names the new row by its id
            request = BatchRequest("POST", self.client.url(table.set_name + select), body, _REPRESENTATION, unit.main)
        elif op.kind is WriteKind.DELETE:
            headers = {"If-Match": etag_for(op.if_match)} if op.if_match else {}
            request = BatchRequest("DELETE", self.client.url(_address(table, op)), None, headers, unit.main)
        else:
            headers = dict(_REPRESENTATION)
            if op.kind is WriteKind.UPDATE:
                headers["If-Match"] = etag_for(op.if_match) if op.if_match else "*"
            elif op.if_match:
                headers["If-Match"] = etag_for(op.if_match)
            url = self.client.url(_address(table, op) + select)
            request = BatchRequest("PATCH", url, body, headers, unit.main)
        if closing is None:
            unit.requests.append(request)
            return unit
        if body or op.kind is WriteKind.CREATE:
            unit.requests.append(request)
            cid = next(ids)
        else:
            cid = unit.main  # nothing else to change: the action is the write
        path = f"{table.set_name}({body[table.primary_id]})" if op.kind is WriteKind.CREATE else _address(table, op)
        action = closing.body(path, op.data.get("statuscode"))
        unit.requests.append(BatchRequest("POST", self.client.url(closing.action), action, {}, cid))
        unit.after = BatchRequest("GET", self.client.url(path + select), headers={"Accept": "application/json"})
        return unit

    def _chunks(self, units: Sequence[_Unit]) -> Iterator[list[_Unit]]:
        chunk: list[_Unit] = []
        size = 0
        for unit in units:
            weight = len(unit.requests) + (unit.after is not None)
            if chunk and (len(chunk) >= self.batch_size or size + weight > MAX_BATCH_REQUESTS):
                yield chunk
                chunk, size = [], 0
            chunk.append(unit)
            size += weight
        if chunk:
            yield chunk

    # --- reading the related rows first --------------------------------------------------------------

    async def _prefetch(
        self,
        ops: Sequence[WriteOp],
        tables: Sequence[Table],
        nested: Sequence[Mapping[str, dict[str, Any]]],
        closings: Sequence[Closing | None],
        wanted: Sequence[int],
        results: list[WriteResult | None],
    ) -> dict[int, _Existing]:
        """Whether each op's row exists, where its lookups point and its state, in `$batch`es of GETs."""
        found: dict[int, _Existing] = {}
        requests: dict[int, BatchRequest] = {}
        for i in wanted:
            table = tables[i]
            lookups = [table.navigations[nav].lookup for nav in nested[i]]
            if closings[i] is not None:
                lookups.append("statecode")
            try:
                path = _address(table, ops[i]) + f"?$select={','.join([table.primary_id, *lookups])}"
            except FerryError as exc:
                results[i] = WriteResult(False, id=ops[i].id, error=exc)
                continue
            requests[i] = BatchRequest("GET", self.client.url(path), headers={"Accept": "application/json"})
        order = list(requests)
        for start in range(0, len(order), MAX_BATCH_REQUESTS):
            indexes = order[start : start + MAX_BATCH_REQUESTS]
            answers = await self.client.batch([requests[i] for i in indexes])
            for i, answer in zip(indexes, answers, strict=False):
                part = answer[0]
                table = tables[i]
                if part.ok:
                    row = part.json() or {}
                    related = {nav: row.get(table.navigations[nav].lookup) for nav in nested[i]}
                    found[i] = _Existing(
                        True,
                        related,
                        row.get("statecode"),
                        version_of(row.get("@odata.etag")),
                        row.get(table.primary_id),
                    )
                elif is_missing_row(part.as_response(requests[i].url)):
                    found[i] = _Existing(False, {})
                else:
                    results[i] = WriteResult(False, id=ops[i].id, error=_error(part, requests[i].url, ops[i], i))
        return found

    # --- reading the answers -------------------------------------------------------------------------

    def _result(self, unit: _Unit, answer: Sequence[PartResponse], after: Sequence[PartResponse]) -> WriteResult:
        op, table = unit.op, unit.table
        main = next((p for p in answer if p.content_id == unit.main), None)
        if main is None and len(unit.requests) == 1 and len(answer) == 1:
            main = answer[0]
        if main is None or not main.ok:
            failed = next((p for p in answer if not p.ok), main)
            if failed is None:
                error: FerryError = TransientError("Dataverse sent no answer for this write in its $batch response.")
                return WriteResult(False, id=op.id, error=error)
            url = unit.requests[-1].url
            if unit.created_id and failed.status == 412 and error_body(failed.as_response(url))[0] == DUPLICATE_RECORD:
                # The row this idempotency key names exists: an earlier attempt of this CREATE got through.
                return WriteResult(True, id=unit.created_id, created=False)
            return WriteResult(False, id=op.id, error=_error(failed, url, op, unit.index))
        if op.kind is WriteKind.DELETE:
            return WriteResult(True, id=op.id)
        body = main.json() if main.body else None
        row = body if isinstance(body, Mapping) else {}
        if after and after[0].ok:  # the row as the action left it
            read = after[0].json()
            row = {**row, **read} if isinstance(read, Mapping) else row
        record_id = row.get(table.primary_id) or _id_from_headers(main.headers) or op.id
        version = version_of(row.get("@odata.etag") or main.headers.get("etag"))
        created = op.kind is WriteKind.CREATE or (op.kind is WriteKind.UPSERT and main.status == 201)
        return WriteResult(True, id=str(record_id) if record_id else None, version=version, created=created)


def _nested(op: WriteOp, table: Table) -> dict[str, dict[str, Any]]:
    """Related rows given as nested objects under a single-valued navigation property."""
    if op.kind is WriteKind.DELETE:
        return {}
    return {k: v for k, v in op.data.items() if isinstance(v, dict) and k in table.navigations}


def _address(table: Table, op: WriteOp) -> str:
    """`accounts(<id>)` or `accounts(accountnumber='A-1001')`."""
    if op.id:
        key: Mapping[str, Any] = {table.primary_id: op.id}
    elif op.key:
        key = {table.wire_name(k): v for k, v in op.key.items()}
    else:
        raise ValidationError(
            f"A {op.kind.value} of {op.entity} needs the record's id or an alternate key.", entity=op.entity
        )
    return f"{table.set_name}({key_segment(key, table.primary_id, table.properties)})"


def _id_from_headers(headers: Mapping[str, str]) -> str | None:
    for name in ("odata-entityid", "location"):
        m = _ENTITY_ID.search(headers.get(name, ""))
        if m:
            return m.group(1).lower()
    return None


def _error(part: PartResponse, url: str, op: WriteOp, index: int) -> FerryError:
    record = op.id or op.key
    return error_for(part.as_response(url), entity=op.entity, op=op.kind.value, record=record, index=index)
