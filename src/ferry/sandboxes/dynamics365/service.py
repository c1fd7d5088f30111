"""The Web API as a synchronous service: one request in, one response out, all writes in one transaction.

Keeping the service free of awaits is what makes each request, and each `$batch` change set, atomic
on the event loop; the ASGI layer (`app.py`) does the awaiting (auth, limits, bodies, webhooks).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

from ferry.sandboxes.dynamics365 import bulk, bulkdelete, closing, definitions, metadata
from ferry.sandboxes.dynamics365.errors import ODATA_PARSE, VERSION_MISMATCH, ODataError, bad_request, not_found
from ferry.sandboxes.dynamics365.filters import primary_keys
from ferry.sandboxes.dynamics365.options import Preferences, QueryOptions, parse_options, parse_prefer
from ferry.sandboxes.dynamics365.paths import ResourcePath, parse_resource, resolve_key
from ferry.sandboxes.dynamics365.reads import Reader, etag, select_suffix
from ferry.sandboxes.dynamics365.schema import Table
from ferry.sandboxes.dynamics365.store import Change, Ref, Row, Store
from ferry.sandboxes.dynamics365.tables import BY_SET, TABLES
from ferry.sandboxes.dynamics365.values import to_json
from ferry.sandboxes.dynamics365.writes import ContentIds, Writer
from ferry.sandboxes.kit.clock import Clock

JSON_TYPE = "application/json; odata.metadata=minimal"
# Characters left readable in echoed query strings (next and delta links), as Dataverse leaves them.
_QUERY_SAFE = ",()=/:'$@*"


@dataclass(slots=True)
class ApiRequest:
    method: str
    #: The path below the service root, still percent-encoded (`accounts(accountnumber='A%2F1')`).
    path: str
    params: Sequence[tuple[str, str]]
    #: Header names in lower case; `prefer` may hold several comma-joined values.
    headers: Mapping[str, str]
    body: dict[str, Any] | None
    caller: Ref


@dataclass(slots=True)
class ApiResponse:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON_TYPE
    changes: list[Change] = field(default_factory=list)

    @classmethod
    def error(cls, exc: ODataError) -> ApiResponse:
        return cls(exc.status, exc.body(), dict(exc.headers))


class DataverseService:
    def __init__(self, clock: Clock, organization: dict[str, str], base_url: Callable[[], str]) -> None:
        self.clock = clock
        # The sandbox's URL can change after start (a free port is bound late), so it is read, not copied.
        self._base_url = base_url
        self.tables: dict[str, Table] = TABLES
        self.by_set: dict[str, Table] = BY_SET
        self.store = Store(TABLES)
        self.organization = organization
        self.base_currency = Ref("transactioncurrency", "00000000-0000-0000-0000-000000000000")
        self.change_tracking_days = 7
        self.reader = Reader(self)
        self.writer = Writer(self)
        self._numbers = itertools.count(1001)

    @property
    def base_url(self) -> str:
        return self._base_url()

    @property
    def root(self) -> str:
        return f"{self.base_url}/api/data/v9.2/"

    def next_number(self, prefix: str) -> str:
        # Dataverse's auto-numbers look like ORD-01001-B2C3D4; the suffix keeps them unique across restarts.
        n = next(self._numbers)
        return f"{prefix}-{n:05d}-{self.store.version:X}"[:20]

    # --- entry point -------------------------------------------------------------------------

    def execute(self, req: ApiRequest, content_ids: ContentIds | None = None) -> ApiResponse:
        try:
            with self.store.transaction() as tx:
                start = len(tx.changes)
                response = self._dispatch(req, content_ids if content_ids is not None else {})
                response.changes = tx.changes[start:]
            return response
        except ODataError as exc:
            return ApiResponse.error(exc)

    def _dispatch(self, req: ApiRequest, content_ids: ContentIds) -> ApiResponse:
        path = req.path.strip("/")
        prefs = parse_prefer([req.headers.get("prefer", "")])
        if path == "":
            _only(req, "GET")
            return ApiResponse(
                200,
                {
                    "@odata.context": f"{self.root}$metadata",
                    "value": [
                        {"name": t.set_name, "kind": "EntitySet", "url": t.set_name} for t in self.tables.values()
                    ],
                },
            )
        if path == "$metadata":
            _only(req, "GET")
            return ApiResponse(200, metadata.csdl(self.tables), content_type="application/xml")
        if path in ("WhoAmI", "WhoAmI()"):
            _only(req, "GET")
            return ApiResponse(
                200,
                {
                    "@odata.context": f"{self.root}$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse",
                    "BusinessUnitId": self.organization["business_unit_id"],
                    "UserId": req.caller.id,
                    "OrganizationId": self.organization["id"],
                },
            )
        if path.startswith(("EntityDefinitions", "GlobalOptionSetDefinitions")):
            _only(req, "GET")
            return ApiResponse(200, definitions.definitions(self, unquote(path), req.params))
        if path in closing.ACTIONS:
            _only(req, "POST")
            closing.close_sales_order(self, req, closing.ACTIONS[path])
            return ApiResponse(204)
        if path == "BulkDelete":
            _only(req, "POST")
            return ApiResponse(200, bulkdelete.run(self, req))
        if path.startswith("$"):
            ref = content_ids.get(path.split("/")[0])
            if ref is None:
                raise bad_request(f"Content-ID Reference: '{path.split('/')[0]}' does not exist in the batch context.")
            table = self.tables[ref.table]
            rest = path.split("/", 1)[1] if "/" in path else ""
            path = f"{table.set_name}({ref.id})" + (f"/{rest}" if rest else "")
        set_name, _, action = path.partition("/Microsoft.Dynamics.CRM.")
        if action in bulk.MESSAGES and set_name in self.by_set:
            _only(req, "POST")
            result = bulk.run(self, self.by_set[set_name], action, req)
            return ApiResponse(204) if result is None else ApiResponse(200, result)
        resource = parse_resource(unquote(path))
        found = self.by_set.get(resource.set_name)
        if found is None:
            raise ODataError(404, ODATA_PARSE, f"Resource not found for the segment '{resource.set_name}'.")
        table = found
        if resource.count:
            _only(req, "GET")
            opts = self._options(table, req)
            rows = self.reader.filter_and_sort(table, self.store.rows[table.logical_name].values(), opts)
            return ApiResponse(200, str(min(len(rows), 5000)), content_type="text/plain")
        if resource.key is None:
            return self._collection(req, table, prefs, content_ids)
        return self._entity(req, table, resource, prefs, content_ids)

    # --- collections -------------------------------------------------------------------------

    def _collection(self, req: ApiRequest, table: Table, prefs: Preferences, content_ids: ContentIds) -> ApiResponse:
        if req.method == "GET":
            opts = self._options(table, req)
            context = f"{self.root}$metadata#{table.set_name}{select_suffix(opts)}"
            table_rows = self.store.rows[table.logical_name]
            keys = primary_keys(opts.filter) if opts.filter is not None else None
            rows = table_rows.values() if keys is None else [table_rows[k] for k in keys if k in table_rows]
            body, headers = self.reader.collection(
                table,
                rows,
                opts,
                prefs,
                context=context,
                self_url=self._self_url(req),
            )
            return ApiResponse(200, body, headers)
        if req.method == "POST":
            row = self.writer.create(table, _body(req), req.caller, content_ids)
            return self._created(req, table, row, prefs, created=True)
        raise _method_not_allowed(req)

    def _created(
        self, req: ApiRequest, table: Table, row: Row, prefs: Preferences, *, created: bool, key_url: str | None = None
    ) -> ApiResponse:
        url = key_url or f"{self.root}{table.set_name}({row[table.primary_id]})"
        if prefs.return_representation:
            opts = self._options(table, req)
            body = {
                "@odata.context": f"{self.root}$metadata#{table.set_name}{select_suffix(opts)}/$entity",
                **self.reader.represent(table, row, opts, prefs),
            }
            headers = {"ETag": etag(row), "Preference-Applied": "return=representation"}
            if created:
                headers["Location"] = url
            return ApiResponse(201 if created else 200, body, headers)
        return ApiResponse(204, None, {"OData-EntityId": url})

    # --- single records ----------------------------------------------------------------------

    def _entity(
        self, req: ApiRequest, table: Table, resource: ResourcePath, prefs: Preferences, content_ids: ContentIds
    ) -> ApiResponse:
        assert resource.key is not None
        key = resolve_key(table, resource.key)
        row_id = self.store.find_by_key(table.logical_name, key)
        row = self.store.get(table.logical_name, row_id) if row_id else None
        if resource.member is not None:
            if row is None:
                raise not_found(table, key.get(table.primary_id) or _key_text(key))
            return self._member(req, table, row, resource, prefs, content_ids)
        if req.method == "GET":
            if row is None:
                raise not_found(table, key.get(table.primary_id) or _key_text(key))
            opts = self._options(table, req)
            inm = req.headers.get("if-none-match")
            if inm and inm != "null" and inm == etag(row) and not opts.expand and not prefs.annotations:
                return ApiResponse(304, None, {"ETag": etag(row)})
            body = {
                "@odata.context": f"{self.root}$metadata#{table.set_name}{select_suffix(opts)}/$entity",
                **self.reader.represent(table, row, opts, prefs),
            }
            return ApiResponse(200, body, {"ETag": etag(row)})
        if req.method == "PATCH":
            return self._upsert(req, table, key, row, prefs, content_ids)
        if req.method == "DELETE":
            if row is None:
                raise not_found(table, key.get(table.primary_id) or _key_text(key))
            _check_if_match(req, row)
            self.writer.delete(table, row[table.primary_id], req.caller)
            return ApiResponse(204)
        raise _method_not_allowed(req)

    def _upsert(
        self,
        req: ApiRequest,
        table: Table,
        key: dict[str, Any],
        row: Row | None,
        prefs: Preferences,
        content_ids: ContentIds,
    ) -> ApiResponse:
        if_match, if_none_match = req.headers.get("if-match"), req.headers.get("if-none-match")
        key_url = f"{self.root}{table.set_name}({_key_url(table, key)})"
        if row is None:
            if if_match is not None:
                raise not_found(table, key.get(table.primary_id) or _key_text(key))
            values = {k: v for k, v in key.items() if k != table.primary_id}
            created = self.writer.create(
                table, _body(req), req.caller, content_ids, row_id=key.get(table.primary_id), key_values=values
            )
            return self._created(req, table, created, prefs, created=True, key_url=key_url)
        if if_none_match == "*":
            raise ODataError(412, "0x80040237", "A record with matching key values already exists.")
        _check_if_match(req, row)
        updated = self.writer.update(
            table, row[table.primary_id], _body(req), req.caller, content_ids, strip=frozenset(key)
        )
        return self._created(req, table, updated, prefs, created=False, key_url=key_url)

    def _member(
        self,
        req: ApiRequest,
        table: Table,
        row: Row,
        resource: ResourcePath,
        prefs: Preferences,
        content_ids: ContentIds,
    ) -> ApiResponse:
        name = resource.member or ""
        row_id = row[table.primary_id]
        column = table.by_wire_name(name)
        if column is not None and not resource.ref:
            if req.method == "GET":
                value = row.get(column.name)
                return ApiResponse(
                    200,
                    {
                        "@odata.context": f"{self.root}$metadata#{table.set_name}({row_id})/{name}",
                        "value": to_json(column, value),
                    },
                )
            if column.is_lookup or column.read_only:
                raise bad_request(f"The property '{name}' cannot be set this way.")
            if req.method == "PUT":
                body = _body(req)
                if "value" not in body:
                    raise bad_request('Send the new value as {"value": ...}.')
                _check_if_match(req, row)
                self.writer.update(table, row_id, {column.name: body["value"]}, req.caller)
                return ApiResponse(204)
            if req.method == "DELETE":
                self.writer.update(table, row_id, {column.name: None}, req.caller)
                return ApiResponse(204)
            raise _method_not_allowed(req)
        nav = table.navigation(name)
        if nav is not None:
            ref = row.get(nav[0].name)
            target_table = self.tables[nav[1]]
            linked = ref if isinstance(ref, Ref) and ref.table == nav[1] else None
            if resource.ref:
                if req.method == "GET":
                    if linked is None:
                        return ApiResponse(204)
                    return ApiResponse(
                        200,
                        {
                            "@odata.context": f"{self.root}$metadata#$ref",
                            "@odata.id": f"{self.root}{target_table.set_name}({linked.id})",
                        },
                    )
                if req.method == "PUT":
                    target = _body(req).get("@odata.id")
                    self.writer.set_lookup(table, row_id, name, target, req.caller)
                    return ApiResponse(204)
                if req.method == "DELETE":
                    self.writer.set_lookup(table, row_id, name, None, req.caller)
                    return ApiResponse(204)
                raise _method_not_allowed(req)
            _only(req, "GET")
            target = self.store.get(linked.table, linked.id) if linked else None
            if target is None:
                return ApiResponse(204)
            opts = self._options(target_table, req)
            body = {
                "@odata.context": f"{self.root}$metadata#{target_table.set_name}/$entity",
                **self.reader.represent(target_table, target, opts, prefs),
            }
            return ApiResponse(200, body)
        rel = table.relationship(name)
        if rel is not None:
            child = self.tables[rel.child]
            parent = Ref(table.logical_name, row_id)
            if req.method == "GET" and not resource.ref:
                opts = self._options(child, req)
                rows = [r for r in self.store.rows[child.logical_name].values() if r.get(rel.child_column) == parent]
                context = f"{self.root}$metadata#{child.set_name}{select_suffix(opts)}"
                body, headers = self.reader.collection(
                    child, rows, opts, prefs, context=context, self_url=self._self_url(req)
                )
                return ApiResponse(200, body, headers)
            if req.method == "POST" and not resource.ref:
                created = self.writer.create(
                    child, _body(req), req.caller, content_ids, key_values={rel.child_column: parent}
                )
                return self._created(req, child, created, prefs, created=True)
            if req.method == "POST" and resource.ref:
                target = _body(req).get("@odata.id")
                self.writer._associate(
                    table, row_id, name, [self.writer._resolve(target, rel.child, content_ids)], req.caller
                )
                return ApiResponse(204)
            raise _method_not_allowed(req)
        raise ODataError(404, ODATA_PARSE, f"Resource not found for the segment '{name}'.")

    # --- helpers -----------------------------------------------------------------------------

    def _options(self, table: Table, req: ApiRequest) -> QueryOptions:
        return parse_options(table, self.tables, req.params, self.clock.now())

    def _self_url(self, req: ApiRequest) -> str:
        query = "&".join(f"{k}={quote(v, safe=_QUERY_SAFE)}" for k, v in req.params)
        return f"{self.root}{req.path.strip('/')}" + (f"?{query}" if query else "")


def _body(req: ApiRequest) -> dict[str, Any]:
    if req.body is None:
        raise bad_request("The request needs a JSON body.", "0x80040216")
    return req.body


def _only(req: ApiRequest, method: str) -> None:
    if req.method != method:
        raise _method_not_allowed(req)


def _method_not_allowed(req: ApiRequest) -> ODataError:
    return ODataError(405, "0x80060888", f"The requested resource does not support http method '{req.method}'.")


def _check_if_match(req: ApiRequest, row: Row) -> None:
    if_match = req.headers.get("if-match")
    if if_match is None or if_match == "*":
        return
    if if_match != etag(row):
        raise ODataError(
            412, VERSION_MISMATCH, "The version of the existing record doesn't match the RowVersion property provided."
        )


def _key_text(key: dict[str, Any]) -> str:
    return ",".join(f"{k}:{v}" for k, v in key.items())


def _key_url(table: Table, key: dict[str, Any]) -> str:
    if set(key) == {table.primary_id}:
        return str(key[table.primary_id])
    return ",".join(
        f"{k}='{str(v).replace(chr(39), chr(39) * 2)}'" if isinstance(v, str) else f"{k}={v}" for k, v in key.items()
    )
