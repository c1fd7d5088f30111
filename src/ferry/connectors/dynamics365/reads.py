"""Reading: change-tracking walks and deltas, one row by id, rows by matching values.

Dataverse refuses `$expand` and `$filter` together with `Prefer: odata.track-changes`. When a sync
asks for either, the tracked query still names the changed rows, and a follow-up query fetches
those rows by id (up to 100 per query) with the expansion and the filter applied. A changed row
the filter no longer matches has left the sync's scope: the delta leaves it out, as the initial walk
does, and `get` answers None for it. Only rows Dataverse reports as deleted come back deleted: a
filter must never make a sync delete the twin of a record that still exists.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ferry.connectors.dynamics365.client import DataverseClient, prefer
from ferry.connectors.dynamics365.cursors import Cursor
from ferry.connectors.dynamics365.entities import Catalog, Table
from ferry.connectors.dynamics365.errors import error_for, is_delta_expired
from ferry.connectors.dynamics365.gets import GetBatcher, is_guid
from ferry.connectors.dynamics365.query import any_of, equals, version_of
from ferry.core.errors import ConfigError, CursorExpiredError
from ferry.core.records import Page, Record

#: Rows fetched by id per follow-up query: about 5 KB of `$filter`, far below the 32 KB URL limit.
IDS_PER_QUERY = 100
MAX_PAGE = 5000

Expand = Sequence[str] | Mapping[str, Sequence[str]]

#: The columns that number a document's lines (invoice and order products, purchase order products).
LINE_NUMBERS = ("lineitemnumber", "msdyn_linenumber")


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """What a sync reads of an entity: columns, single-valued lookups to nest, and an OData filter.

    `expand` maps a navigation property (`primarycontactid`) to the columns to read of the related
    row (empty: all). The engine passes these as keyword arguments of `read`, `get` and `find`.
    """

    select: tuple[str, ...] = ()
    expand: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    filter: str | None = None

    @classmethod
    def of(
        cls, select: Sequence[str] | None = None, expand: Expand | None = None, filter: str | None = None
    ) -> ReadOptions:
        if isinstance(expand, Mapping):
            nested = {str(k): tuple(v) for k, v in expand.items()}
        else:
            nested = {str(name): () for name in expand or ()}
        return cls(tuple(select or ()), nested, filter or None)

    @property
    def follow_up(self) -> bool:
        """Whether tracked rows must be fetched again (expansion or filter)."""
        return bool(self.expand) or self.filter is not None


Catalogue = Callable[[], Awaitable[Catalog]]


class Reader:
    def __init__(self, client: DataverseClient, catalog: Catalogue, page_size: int) -> None:
        self.client = client
        self._catalog = catalog
        self.page_size = page_size
        self._gets = GetBatcher(max_ids=IDS_PER_QUERY)

    # --- change tracking ---------------------------------------------------------------------------

    async def read(self, entity: str, cursor: str | None, page_size: int | None, opts: ReadOptions) -> Page:
        catalog = await self._catalog()
        table = catalog.table(entity)
        if not table.change_tracking:
            raise ConfigError(
                f"Change tracking is off for the Dataverse table '{table.logical_name}'; turn on "
                "'Track changes' in the table's properties so ferry can read its changes."
            )
        size = min(page_size or self.page_size, MAX_PAGE)
        headers = prefer("odata.track-changes", f"odata.maxpagesize={size}")
        position = Cursor.decode(cursor) if cursor else None
        if position is None:
            path, params = entity, self._params(catalog, table, opts, expand=False)
            if opts.follow_up:  # the follow-up reads the rows in full: here only which rows changed
                params["$select"] = table.primary_id
        else:
            path, params = position.link, None
        response = await self.client.request("GET", path, params=params, headers=headers, ok=(400,))
        if response.status == 400:
            if is_delta_expired(response):
                raise CursorExpiredError(
                    f"Dataverse no longer knows the change-tracking token for '{entity}' (it keeps them for "
                    "7 days by default); read again from the start.",
                    entity=entity,
                )
            raise error_for(response, entity=entity)
        body = response.json() or {}
        in_delta = position is not None and position.kind != "next"
        records = [self._record(table, row) for row in body.get("value", [])]
        if opts.follow_up:
            records = await self._follow_up(catalog, table, records, opts, in_delta=in_delta)
        if body.get("@odata.nextLink"):
            following = Cursor("changes" if in_delta else "next", self.client.relative(body["@odata.nextLink"]))
            return Page(records, following.encode(), more=True)
        if body.get("@odata.deltaLink"):
            return Page(records, Cursor("delta", self.client.relative(body["@odata.deltaLink"])).encode(), more=False)
        return Page(records, cursor, more=False)

    async def _follow_up(
        self, catalog: Catalog, table: Table, records: list[Record], opts: ReadOptions, *, in_delta: bool
    ) -> list[Record]:
        live = [r.id for r in records if not r.deleted]
        chunks = [live[i : i + IDS_PER_QUERY] for i in range(0, len(live), IDS_PER_QUERY)]
        found: dict[str, Record] = {}
        answers = await asyncio.gather(*(self._by_ids(catalog, table, chunk, opts) for chunk in chunks))
        for rows in answers:
            found.update((r.id.lower(), r) for r in rows)
        out = []
        for record in records:
            if record.deleted:
                out.append(record)
            elif record.id.lower() in found:
                out.append(found[record.id.lower()])
            # else: no longer matches the filter (or deleted since; the delta will report that itself)
        return out

    async def _by_ids(self, catalog: Catalog, table: Table, ids: Sequence[str], opts: ReadOptions) -> list[Record]:
        condition = any_of(table.primary_id, ids)
        if opts.filter:
            condition = f"({opts.filter}) and {condition}"
        params = {**self._params(catalog, table, opts, expand=True), "$filter": condition}
        return await self._all(table, table.set_name, params)

    # --- one row, matching rows ----------------------------------------------------------------------

    async def get(self, entity: str, record_id: str, opts: ReadOptions) -> Record | None:
        """One row, read together with the others asked for at the same moment (`gets.py`)."""
        if not is_guid(record_id):
            return None  # no row has such an id; asking would fail the whole query it joins
        catalog = await self._catalog()
        table = catalog.table(entity)
        key = (table.set_name, opts.select, tuple(opts.expand.items()), opts.filter)
        return await self._gets.get(key, record_id, lambda ids: self._by_ids(catalog, table, ids, opts))

    async def find(self, entity: str, match: Mapping[str, Any], opts: ReadOptions) -> list[Record]:
        catalog = await self._catalog()
        table = catalog.table(entity)
        if not match:
            raise ConfigError("find() needs at least one field to match on.")
        condition = equals({table.wire_name(k): v for k, v in match.items()}, table.properties)
        if opts.filter:
            condition = f"({opts.filter}) and {condition}"
        params = {**self._params(catalog, table, opts, expand=True), "$filter": condition}
        return await self._all(table, entity, params)

    # --- helpers -------------------------------------------------------------------------------------

    async def _all(self, table: Table, path: str, params: Mapping[str, str] | None) -> list[Record]:
        """Every row a query returns, following `@odata.nextLink`."""
        out: list[Record] = []
        link: str | None = path
        headers = prefer(f"odata.maxpagesize={self.page_size}")
        while link:
            body = await self.client.get_json(link, params, headers=headers) or {}
            out += [self._record(table, row) for row in body.get("value", [])]
            link, params = body.get("@odata.nextLink"), None
        return out

    def _params(self, catalog: Catalog, table: Table, opts: ReadOptions, *, expand: bool) -> dict[str, str]:
        params: dict[str, str] = {}
        if opts.select:
            names = [table.wire_name(n) for n in opts.select]
            extra = [c for c in (table.primary_id, "modifiedon") if c in table.properties]
            params["$select"] = ",".join(dict.fromkeys([*names, *extra]))
        if expand and opts.expand:
            params["$expand"] = ",".join(
                self._expansion(catalog, table, nav, cols) for nav, cols in opts.expand.items()
            )
        return params

    @staticmethod
    def _expansion(catalog: Catalog, table: Table, nav: str, columns: Sequence[str]) -> str:
        navigation = table.navigations.get(nav)
        related = navigation.target if navigation is not None else table.collections.get(nav)
        if related is None:
            known = ", ".join(sorted([*table.navigations, *table.collections])) or "none"
            raise ConfigError(
                f"'{nav}' is not a lookup or a related collection of {table.set_name}; expandable: {known}."
            )
        target = catalog.by_logical.get(related)
        options = []
        if columns:
            names = [target.wire_name(c) for c in columns] if target else list(columns)
            options.append(f"$select={','.join(names)}")
        # Dataverse returns an expanded collection in no promised order; lines must keep theirs.
        line_number = next((c for c in LINE_NUMBERS if target and c in target.properties), None)
        if nav in table.collections and line_number is not None:
            options.append(f"$orderby={line_number}")
        return f"{nav}({';'.join(options)})" if options else nav

    @staticmethod
    def _record(table: Table, row: dict[str, Any]) -> Record:
        if "$deletedEntity" in str(row.get("@odata.context", "")) or (
            "reason" in row and "id" in row and "@odata.etag" not in row
        ):
            return Record(table.set_name, str(row.get("id")), {}, deleted=True)
        data = _clean(row)
        version = version_of(row.get("@odata.etag")) or _text(row.get("versionnumber"))
        return Record(
            table.set_name,
            str(row.get(table.primary_id)),
            data,
            version=version,
            modified_at=_when(row.get("modifiedon")),
        )


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    """The row without OData control information (`@odata.etag`, `@odata.context`), nested rows too."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key.startswith("@odata."):
            continue
        if isinstance(value, dict):
            value = _clean(value)
        elif isinstance(value, list):  # an expanded collection (a purchase order's lines)
            value = [_clean(v) if isinstance(v, dict) else v for v in value]
        out[key] = value
    return out


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
