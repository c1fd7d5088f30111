"""Reading rows the way the Web API does: projection, annotations, `$expand`, paging and change tracking."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ferry.sandboxes.dynamics365.errors import bad_request
from ferry.sandboxes.dynamics365.filters import Prop, sort_key
from ferry.sandboxes.dynamics365.options import Preferences, QueryOptions
from ferry.sandboxes.dynamics365.paging import make_deltatoken, make_skiptoken, read_deltatoken, read_skiptoken
from ferry.sandboxes.dynamics365.schema import Column, Kind, Table
from ferry.sandboxes.dynamics365.store import Ref, Row
from ferry.sandboxes.dynamics365.values import formatted, to_json

if TYPE_CHECKING:
    from ferry.sandboxes.dynamics365.service import DataverseService

DEFAULT_PAGE = 5000
COUNT_CAP = 5000
FORMATTED = "OData.Community.Display.V1.FormattedValue"
LOOKUP_TABLE = "Microsoft.Dynamics.CRM.lookuplogicalname"
LOOKUP_NAV = "Microsoft.Dynamics.CRM.associatednavigationproperty"


def etag(row: Row) -> str:
    return f'W/"{row["versionnumber"]}"'


class Reader:
    """Serialises rows and walks collections for one service."""

    def __init__(self, svc: DataverseService) -> None:
        self.svc = svc

    # --- single rows -------------------------------------------------------------------------

    def represent(self, table: Table, row: Row, opts: QueryOptions | None, prefs: Preferences) -> dict[str, Any]:
        out: dict[str, Any] = {"@odata.etag": etag(row)}
        columns = list(table.columns.values()) if opts is None or opts.select is None else list(opts.select)
        if opts is not None and opts.select is not None and table.primary_id not in {c.name for c in columns}:
            columns.append(table.columns[table.primary_id])
        currency = self._currency_code(row) if prefs.annotations else None
        for column in columns:
            if column.write_only:
                continue
            value = row.get(column.name)
            out[column.wire_name] = to_json(column, value)
            if prefs.annotations and value is not None:
                self._annotate(out, table, column, value, prefs, currency)
        for item in opts.expand if opts is not None else ():
            if item.single:
                nav = table.navigation(item.name)
                ref = row.get(nav[0].name) if nav else None
                target = self.svc.store.get(ref.table, ref.id) if isinstance(ref, Ref) else None
                if target is not None and isinstance(ref, Ref) and ref.table != item.target.logical_name:
                    target = None  # a polymorphic lookup pointing at the other table
                out[item.name] = None if target is None else self.represent(item.target, target, item.options, prefs)
            else:
                rows = self.children(table, row, item.name)
                rows = self.filter_and_sort(item.target, rows, item.options)
                if item.options.top is not None:
                    rows = rows[: item.options.top]
                out[item.name] = [self.represent(item.target, r, item.options, prefs) for r in rows]
        return out

    def _annotate(
        self, out: dict[str, Any], table: Table, column: Column, value: Any, prefs: Preferences, currency: str | None
    ) -> None:
        wire = column.wire_name
        if isinstance(value, Ref):
            target_table = self.svc.tables[value.table]
            target = self.svc.store.get(value.table, value.id)
            if prefs.wants_annotation(FORMATTED) and target is not None:
                out[f"{wire}@{FORMATTED}"] = target.get(target_table.primary_name)
            if prefs.wants_annotation(LOOKUP_NAV):
                navs = column.nav_names()
                out[f"{wire}@{LOOKUP_NAV}"] = next(n for n, t in navs.items() if t == value.table)
            if prefs.wants_annotation(LOOKUP_TABLE):
                out[f"{wire}@{LOOKUP_TABLE}"] = value.table
            return
        if prefs.wants_annotation(FORMATTED):
            text = formatted(column, value, currency)
            if text is not None:
                out[f"{wire}@{FORMATTED}"] = text

    def _currency_code(self, row: Row) -> str | None:
        ref = row.get("transactioncurrencyid")
        currency = self.svc.store.get(ref.table, ref.id) if isinstance(ref, Ref) else None
        return currency.get("isocurrencycode") if currency else None

    # --- collections -------------------------------------------------------------------------

    def value_getter(self) -> Callable[[Row, Prop], Any]:
        store = self.svc.store

        def get(row: Row, prop: Prop) -> Any:
            if prop.via is not None:
                ref = row.get(prop.via)
                if not isinstance(ref, Ref) or ref.table != prop.nav_table:
                    return None
                target = store.get(ref.table, ref.id)
                value = None if target is None else target.get(prop.column.name)
            else:
                value = row.get(prop.column.name)
            return value.id if isinstance(value, Ref) else value

        return get

    def children(self, table: Table, row: Row, relationship: str) -> list[Row]:
        rel = table.relationship(relationship)
        assert rel is not None
        parent = Ref(table.logical_name, row[table.primary_id])
        return [r for r in self.svc.store.rows[rel.child].values() if r.get(rel.child_column) == parent]

    def filter_and_sort(self, table: Table, rows: Iterable[Row], opts: QueryOptions) -> list[Row]:
        get = self.value_getter()
        if opts.filter is not None:
            predicate = opts.filter
            rows = [r for r in rows if predicate(r, get)]
        order = [*opts.orderby, (table.columns[table.primary_id], False)]
        ordered = list(rows)
        # One stable sort per column, last column first, each in its own direction: the same order as
        # comparing whole keys, with the comparisons done in C (a cmp function made paging crawl).
        for n in range(len(order) - 1, -1, -1):
            column, desc = order[n]
            ordered.sort(key=functools.partial(_row_key, column), reverse=desc)
        return ordered

    @staticmethod
    def _sort_values(row: Row, order: Sequence[tuple[Column, bool]]) -> list[Any]:
        values = []
        for column, _desc in order:
            v = row.get(column.name)
            values.append(v.id if isinstance(v, Ref) else v)
        return values

    def collection(
        self,
        table: Table,
        rows: Iterable[Row],
        opts: QueryOptions,
        prefs: Preferences,
        *,
        context: str,
        self_url: str,
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """One page of a query, with `@odata.nextLink` / `@odata.deltaLink` as Dataverse sends them."""
        headers: dict[str, str] = {}
        if opts.deltatoken is not None:
            return self.delta(table, opts, prefs, context=context, self_url=self_url), headers
        tracking = prefs.track_changes
        if tracking:
            for option in ("$filter", "$orderby", "$expand", "$top"):
                if option in opts.raw:
                    raise bad_request(f"The query parameter {option} isn't supported when Change Tracking is enabled.")
            if not table.change_tracking:
                raise bad_request(f"Change tracking is not enabled for the entity {table.logical_name}.", "0x80044353")
        order = [*opts.orderby, (table.columns[table.primary_id], False)]
        matching = self.filter_and_sort(table, rows, opts)
        page, snapshot = 1, self.svc.store.version if tracking else None
        if opts.skiptoken is not None:
            page, last, token_snapshot = read_skiptoken(opts.skiptoken)
            snapshot = token_snapshot if token_snapshot is not None else snapshot
            matching = matching[_first_after(matching, last, order, self._sort_values) :]
        size = prefs.max_page_size or DEFAULT_PAGE
        if prefs.max_page_size is None and opts.top is not None:
            size = min(size, opts.top)
            more = False
        else:
            more = len(matching) > size
        chunk = matching[:size]
        body: dict[str, Any] = {"@odata.context": context}
        if opts.count:
            body["@odata.count"] = min(len(matching), COUNT_CAP)
        body["value"] = [self.represent(table, r, opts, prefs) for r in chunk]
        if more and chunk:
            token = make_skiptoken(
                page + 1,
                table.primary_id,
                chunk[0][table.primary_id],
                chunk[-1][table.primary_id],
                self._sort_values(chunk[-1], order),
                snapshot,
            )
            body["@odata.nextLink"] = _with_param(self_url, "$skiptoken", token)
        elif tracking and snapshot is not None:
            body["@odata.deltaLink"] = _with_param(
                self_url, "$deltatoken", make_deltatoken(snapshot, self.svc.clock.now())
            )
        applied = prefs.applied(paged=True, tracked=tracking)
        if applied:
            headers["Preference-Applied"] = applied
        return body, headers

    def delta(
        self, table: Table, opts: QueryOptions, prefs: Preferences, *, context: str, self_url: str
    ) -> dict[str, Any]:
        """Rows changed since the token (newest state, by version), then deletions."""
        assert opts.deltatoken is not None
        since = read_deltatoken(opts.deltatoken, self.svc.clock.now(), self.svc.change_tracking_days)
        store = self.svc.store
        changed = sorted(
            (r for r in store.rows[table.logical_name].values() if r["versionnumber"] > since),
            key=lambda r: r["versionnumber"],
        )
        value: list[dict[str, Any]] = [self.represent(table, r, opts, prefs) for r in changed]
        removed = {r[table.primary_id] for r in changed}
        for stone in store.tombstones[table.logical_name]:
            if stone.version > since and stone.id not in removed:
                value.append(
                    {
                        "@odata.context": f"{self.svc.root}$metadata#{table.set_name}/$deletedEntity",
                        "id": stone.id,
                        "reason": "deleted",
                    }
                )
        return {
            "@odata.context": context.split("#", 1)[0] + f"#{table.set_name}" + _select_suffix(opts) + "/$delta",
            "value": value,
            "@odata.deltaLink": _with_param(
                self_url, "$deltatoken", make_deltatoken(store.version, self.svc.clock.now())
            ),
        }


def _select_suffix(opts: QueryOptions) -> str:
    if opts.select is None:
        return ""
    return "(" + ",".join(c.wire_name for c in opts.select) + ")"


def _first_after(rows: list[Row], last: list[Any], order: Sequence[tuple[Column, bool]], values: Any) -> int:
    """Index of the first row that sorts after `last` (rows are sorted by `order`): a binary search."""
    low, high = 0, len(rows)
    while low < high:
        middle = (low + high) // 2
        if _compare(values(rows[middle], order), last, order) > 0:
            high = middle
        else:
            low = middle + 1
    return low


def _row_key(column: Column, row: Row) -> tuple[int, Any]:
    return _column_key(column, row.get(column.name))


def _column_key(column: Column, value: Any) -> tuple[int, Any]:
    """A sort key for one column's value: nulls first, text without case, ids as lower-case text."""
    if isinstance(value, Ref):
        value = value.id
    if column.kind in (Kind.GUID, Kind.LOOKUP):
        return sort_key(str(value).lower() if value else None)
    return sort_key(value)


def _compare(a: Sequence[Any], b: Sequence[Any], order: Sequence[tuple[Column, bool]]) -> int:
    for (column, desc), x, y in zip(order, a, b, strict=False):
        kx, ky = _column_key(column, x), _column_key(column, y)
        try:
            result = (kx > ky) - (kx < ky)
        except TypeError:
            result = (str(kx) > str(ky)) - (str(kx) < str(ky))
        if result:
            return -result if desc else result
    return 0


def _with_param(url: str, name: str, value: str) -> str:
    """`url` with `name=value` replacing any previous skip/delta token."""
    base, _, query = url.partition("?")
    kept = [
        p
        for p in query.split("&")
        if p and not p.startswith(("$skiptoken=", "$deltatoken=", "%24skiptoken=", "%24deltatoken="))
    ]
    kept.append(f"{name}={quote(value, safe='')}")
    return f"{base}?{'&'.join(kept)}"


def select_suffix(opts: QueryOptions | None) -> str:
    return "" if opts is None else _select_suffix(opts)
