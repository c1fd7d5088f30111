"""Query options (`$select`, `$filter`, `$orderby`, `$top`, `$expand`, `$count`) parsed against a table."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ferry.sandboxes.dynamics365.errors import NOT_SUPPORTED, bad_request
from ferry.sandboxes.dynamics365.filters import Predicate, QueryError, parse_filter
from ferry.sandboxes.dynamics365.paths import split_top_level
from ferry.sandboxes.dynamics365.schema import Column, Table

SUPPORTED = {"$select", "$filter", "$orderby", "$top", "$expand", "$count", "$skiptoken", "$deltatoken", "$apply"}
# Documented as unsupported by Dataverse (specs/dataverse.md §1.4).
UNSUPPORTED = {"$skip", "$search", "$format"}
# Queries Dataverse runs instead of the OData options, which the sandbox does not emulate: answered with an
# error rather than ignored, since ignoring them would return every row as if they had matched.
OTHER_QUERY_LANGUAGES = {"fetchXml": "FetchXML", "savedQuery": "saved views", "userQuery": "saved views", "sql": "SQL"}


@dataclass(slots=True)
class Expand:
    name: str
    #: Set for a single-valued navigation property (lookup), else a collection relationship.
    single: bool
    target: Table
    options: QueryOptions


@dataclass(slots=True)
class QueryOptions:
    select: list[Column] | None = None
    filter: Predicate | None = None
    orderby: list[tuple[Column, bool]] = field(default_factory=list)
    top: int | None = None
    expand: list[Expand] = field(default_factory=list)
    count: bool = False
    skiptoken: str | None = None
    deltatoken: str | None = None
    raw: dict[str, str] = field(default_factory=dict)


def parse_options(
    table: Table,
    tables: Mapping[str, Table],
    params: Sequence[tuple[str, str]],
    now: datetime,
    *,
    nested: bool = False,
) -> QueryOptions:
    """Validate and compile query options, answering bad ones as Dataverse does (400)."""
    opts = QueryOptions()
    aliases = {k: v for k, v in params if k.startswith("@")}
    for name, value in params:
        if name in OTHER_QUERY_LANGUAGES:
            raise bad_request(
                f"The sandbox does not run {OTHER_QUERY_LANGUAGES[name]} queries ({name}); "
                "use the OData query options ($select, $filter, $orderby, $top, $expand).",
                NOT_SUPPORTED,
            )
        if name.startswith("@") or not name.startswith("$"):
            continue  # parameter aliases, and non-OData parameters, which the service ignores
        if name in UNSUPPORTED:
            raise bad_request(f"The query parameter {name} is not supported")
        if name not in SUPPORTED:
            raise bad_request(f"The query parameter {name} is not supported")
        if name in opts.raw:
            raise bad_request(
                f"Query option '{name}' was specified more than once, but it must be specified at most once."
            )
        opts.raw[name] = value
    try:
        if "$select" in opts.raw:
            opts.select = parse_select(table, opts.raw["$select"])
        if "$filter" in opts.raw:
            opts.filter = parse_filter(opts.raw["$filter"], table, tables, aliases, now=now)
        if "$orderby" in opts.raw:
            opts.orderby = parse_orderby(table, opts.raw["$orderby"])
    except QueryError as exc:
        raise bad_request(str(exc)) from None
    if "$top" in opts.raw:
        top = opts.raw["$top"]
        if not re.fullmatch(r"\d+", top):
            raise bad_request(
                f"Invalid value '{top}' for $top query option found. "
                "The $top query option requires a non-negative integer value."
            )
        opts.top = int(top)
    if "$count" in opts.raw:
        if opts.raw["$count"] not in ("true", "false"):
            raise bad_request(f"'{opts.raw['$count']}' is not a valid count option.")
        opts.count = opts.raw["$count"] == "true"
    if "$expand" in opts.raw:
        opts.expand = parse_expand(table, tables, opts.raw["$expand"], now)
    if "$apply" in opts.raw:
        raise bad_request(
            "The sandbox does not emulate $apply (aggregation); query the rows and aggregate them.", NOT_SUPPORTED
        )
    if nested and (opts.skiptoken or opts.deltatoken):
        raise bad_request("$skiptoken and $deltatoken are not allowed inside $expand.")
    opts.skiptoken = opts.raw.get("$skiptoken")
    opts.deltatoken = opts.raw.get("$deltatoken")
    return opts


def parse_select(table: Table, text: str) -> list[Column]:
    chosen: list[Column] = []
    for name in (n.strip() for n in text.split(",")):
        if not name:
            raise QueryError(f"Syntax error: empty name in '$select={text}'.")
        column = table.by_wire_name(name)
        if column is None:
            raise QueryError(f"Could not find a property named '{name}' on type '{table.entity_type}'.")
        if column not in chosen:
            chosen.append(column)
    return chosen


def parse_orderby(table: Table, text: str) -> list[tuple[Column, bool]]:
    order: list[tuple[Column, bool]] = []
    for part in (p.strip() for p in text.split(",")):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
            raise QueryError(f"Syntax error in '$orderby={text}'.")
        column = table.by_wire_name(words[0])
        if column is None:
            raise QueryError(f"Could not find a property named '{words[0]}' on type '{table.entity_type}'.")
        order.append((column, len(words) == 2 and words[1] == "desc"))
    return order


def parse_expand(table: Table, tables: Mapping[str, Table], text: str, now: datetime) -> list[Expand]:
    items: list[Expand] = []
    for part in split_top_level(text, ","):
        m = re.fullmatch(r"(\w+)(?:\((.*)\))?", part, re.DOTALL)
        if m is None:
            raise bad_request(f"Syntax error in '$expand={text}'.")
        name, inner = m.group(1), m.group(2)
        params: list[tuple[str, str]] = []
        for option in split_top_level(inner or "", ";"):
            key, _, value = option.partition("=")
            params.append((key.strip(), value))
        nav = table.navigation(name)
        relationship = table.relationship(name)
        if nav is not None:
            target = tables.get(nav[1])
            if target is None:
                raise bad_request(f"The navigation property '{name}' cannot be expanded in the sandbox.")
            nested = parse_options(target, tables, params, now, nested=True)
            if nested.filter or nested.orderby or nested.top is not None:
                raise bad_request(
                    f"$filter, $orderby and $top are not allowed when expanding the single-valued '{name}'."
                )
            items.append(Expand(name, True, target, nested))
        elif relationship is not None:
            target = tables[relationship.child]
            items.append(Expand(name, False, target, parse_options(target, tables, params, now, nested=True)))
        else:
            raise bad_request(f"Could not find a property named '{name}' on type '{table.entity_type}'.")
    return items


@dataclass(frozen=True, slots=True)
class Preferences:
    """What the client asked for in `Prefer` headers."""

    max_page_size: int | None = None
    track_changes: bool = False
    return_representation: bool = False
    continue_on_error: bool = False
    annotations: tuple[str, ...] = ()

    def wants_annotation(self, name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.annotations)

    def applied(self, *, paged: bool = False, tracked: bool = False, represented: bool = False) -> str | None:
        parts = []
        if paged and self.max_page_size:
            parts.append(f"odata.maxpagesize={self.max_page_size}")
        if tracked and self.track_changes:
            parts.append("odata.track-changes")
        if represented and self.return_representation:
            parts.append("return=representation")
        if self.annotations:
            parts.append('odata.include-annotations="' + ",".join(self.annotations) + '"')
        return ",".join(parts) or None


def parse_prefer(values: Sequence[str]) -> Preferences:
    size: int | None = None
    track = represent = cont = False
    annotations: tuple[str, ...] = ()
    for header in values:
        for item in split_top_level(header, ","):
            key, _, value = item.partition("=")
            key, value = key.strip().lower(), value.strip()
            if key == "odata.maxpagesize" and value.isdigit() and int(value) > 0:
                size = min(int(value), 5000)
            elif key == "odata.track-changes":
                track = True
            elif key == "return" and value == "representation":
                represent = True
            elif key == "odata.continue-on-error":
                cont = True
            elif key == "odata.include-annotations":
                annotations = tuple(a.strip() for a in value.strip('"').split(",") if a.strip())
    return Preferences(size, track, represent, cont, annotations)
