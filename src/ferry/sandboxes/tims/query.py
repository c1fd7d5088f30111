"""List queries: `?modifiedSince=&page=&pageSize=&includeInactive=&<field>=<value>`.

Every parameter is checked before anything is read, and a parameter that is neither one of the
four above nor a scalar field of the collection is refused (400 naming it): a typo such as
`pagesize=50` would otherwise silently return the default page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.datastructures import QueryParams

from ferry.sandboxes.tims.fields import FieldErrors, parse_timestamp
from ferry.sandboxes.tims.problems import FieldProblem, validation_problem
from ferry.sandboxes.tims.schema import INACTIVE, Collection
from ferry.sandboxes.tims.store import Key, Record

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
RESERVED = ("modifiedSince", "page", "pageSize", "includeInactive")


@dataclass(slots=True)
class ListQuery:
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    modified_since: datetime | None = None
    include_inactive: bool = False
    #: field -> accepted values (a repeated parameter matches any of them); None matches empty.
    filters: dict[str, list[Any]] = field(default_factory=dict)


def parse_list_query(collection: Collection | None, params: QueryParams) -> ListQuery:
    """The query for a collection's list, or (`collection` None) for a list that only pages."""
    query = ListQuery()
    problems: list[FieldProblem] = []
    for name, value in params.multi_items():
        if collection is None and name not in ("page", "pageSize"):
            problems.append(FieldProblem(name, "is not a parameter of this list (use page and pageSize)"))
        elif name == "page":
            query.page = _count(name, value, 1, None, problems, query.page)
        elif name == "pageSize":
            query.page_size = _count(name, value, 1, MAX_PAGE_SIZE, problems, query.page_size)
        elif name == "modifiedSince":
            # An unencoded "+01:00" arrives as " 01:00"; read it the way the client meant it.
            since = parse_timestamp(value.replace(" ", "+"))
            if since is None:
                problems.append(FieldProblem(name, "must be an ISO 8601 date-time such as 2026-11-22T08:15:30Z"))
            query.modified_since = since
        elif name == "includeInactive":
            if value not in ("true", "false"):
                problems.append(FieldProblem(name, "must be true or false"))
            query.include_inactive = value == "true"
        elif collection is not None:
            _add_filter(collection, name, value, query, problems)
    if problems:
        names = ", ".join(dict.fromkeys(p.field for p in problems))
        raise validation_problem(problems, f"The query has invalid parameters: {names}.")
    return query


def _count(name: str, value: str, low: int, high: int | None, problems: list[FieldProblem], default: int) -> int:
    if value.isdigit() and int(value) >= low and (high is None or int(value) <= high):
        return int(value)
    bound = f"between {low} and {high}" if high is not None else f"at least {low}"
    problems.append(FieldProblem(name, f"must be an integer {bound}"))
    return default


def _add_filter(collection: Collection, name: str, value: str, query: ListQuery, problems: list[FieldProblem]) -> None:
    try:
        spec = collection.filter_kind(name)
    except KeyError:
        if name in collection.fields:
            problems.append(FieldProblem(name, "is not a scalar field and cannot be used as a filter"))
        else:
            problems.append(FieldProblem(name, f"is not a field of {collection.name} nor a query parameter"))
        return
    if value == "":
        query.filters.setdefault(name, []).append(None)
        return
    try:
        query.filters.setdefault(name, []).append(spec.kind.parse_query(value, name))
    except FieldErrors as exc:
        problems.extend(exc.problems)


def select(rows: Iterable[tuple[Key, Record]], query: ListQuery) -> list[Record]:
    """Matching records ordered by ModifiedAt, then id (the order paging walks)."""
    hide_inactive = not query.include_inactive and "Status" not in query.filters
    matched: list[tuple[datetime, Key, Record]] = []
    for key, record in rows:
        if hide_inactive and record.get("Status") == INACTIVE:
            continue
        if query.modified_since is not None and record["ModifiedAt"] < query.modified_since:
            continue
        if all(_matches(record.get(name), wanted) for name, wanted in query.filters.items()):
            matched.append((record["ModifiedAt"], key, record))
    matched.sort(key=lambda entry: (entry[0], entry[1]))
    return [record for _, _, record in matched]


def _matches(value: object, wanted: list[Any]) -> bool:
    return any(value in (None, "") if w is None else value == w for w in wanted)


def page_of(records: list[Record], query: ListQuery, render: Callable[[Record], dict[str, Any]]) -> dict[str, Any]:
    start = (query.page - 1) * query.page_size
    chunk = records[start : start + query.page_size]
    more = start + query.page_size < len(records)
    return {
        "data": [render(record) for record in chunk],
        "page": query.page,
        "pageSize": query.page_size,
        "total": len(records),
        "nextPage": query.page + 1 if more else None,
    }
