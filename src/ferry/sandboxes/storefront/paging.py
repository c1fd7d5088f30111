"""Shopify's cursor pagination: `limit`, opaque `page_info` tokens and the `Link` header.

A token carries the filters of the first request plus the sort key of the last (or first) record
shown, so the next page is "records strictly after that key" (keyset paging). Records created while
a client walks the pages therefore never shift a page boundary: every record that existed when the
walk began is seen exactly once.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.responses import Response

from ferry.sandboxes.kit import JSONResponse
from ferry.sandboxes.storefront.errors import PAGINATION_DOCS, ApiError, bad_param
from ferry.sandboxes.storefront.gate import Call
from ferry.sandboxes.storefront.store import Record

DEFAULT_LIMIT = 50
MAX_LIMIT = 250
_PAGING = frozenset({"limit", "page_info", "fields"})


@dataclass(frozen=True, slots=True)
class Sort:
    """The order a list comes in: by `id`, `created_at` or `updated_at`, ties broken by id."""

    field: str = "id"
    descending: bool = False

    def key(self, record: Record) -> tuple[float, int]:
        if self.field == "created_at":
            return (record.created.timestamp(), record.id)
        if self.field == "updated_at":
            return (record.updated.timestamp(), record.id)
        return (float(record.id), record.id)


@dataclass(frozen=True, slots=True)
class Cursor:
    value: float
    id: int
    direction: str  # "next" or "prev"


@dataclass(frozen=True, slots=True)
class ListQuery:
    """A list request: the filters in force (from the query, or from the token) and the page."""

    params: dict[str, str]
    limit: int
    fields: list[str] | None
    cursor: Cursor | None


def fields_param(call: Call) -> list[str] | None:
    raw = call.params.get("fields")
    if not raw:
        return None
    return [f.strip() for f in raw.split(",") if f.strip()] or None


def project(doc: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    """Only the requested top-level fields (`fields=id,name`), in the resource's own order."""
    if not fields:
        return doc
    wanted = set(fields)
    return {k: v for k, v in doc.items() if k in wanted}


def list_query(call: Call, filters: Collection[str]) -> ListQuery:
    limit = _limit(call)
    fields = fields_param(call)
    token = call.params.get("page_info")
    if token is None:
        params = {k: v for k, v in call.params.items() if k in filters}
        return ListQuery(params, limit, fields, None)
    for name in call.params:
        if name not in _PAGING:
            message = f"{name} cannot be passed when page_info is present. See {PAGINATION_DOCS} for more information."
            raise ApiError(400, {name: message})
    params, cursor = _decode(token)
    return ListQuery(params, limit, fields, cursor)


def respond_page(
    call: Call,
    query: ListQuery,
    rows: Iterable[Record],
    sort: Sort,
    root: str,
    render: Callable[[Record], dict[str, Any]] = lambda r: r.doc,
) -> Response:
    """One page of `rows` as `{root: [...]}` with the `Link` header for its neighbours."""
    ordered = sorted(rows, key=sort.key, reverse=sort.descending)
    keys = [sort.key(r) for r in ordered]
    start, end = 0, len(ordered)
    cursor = query.cursor
    if cursor is not None:
        mark = (cursor.value, cursor.id)
        if cursor.direction == "next":
            start = next((i for i, k in enumerate(keys) if _after(k, mark, sort)), len(keys))
            end = min(len(keys), start + query.limit)
        else:
            end = next((i for i, k in enumerate(keys) if not _after(mark, k, sort)), len(keys))
            start = max(0, end - query.limit)
    else:
        end = min(len(keys), query.limit)
    page = ordered[start:end]
    links: list[str] = []
    if page and cursor is not None and start > 0:
        links.append(f'<{_link(call, query, keys[start], "prev")}>; rel="previous"')
    if page and end < len(ordered):
        links.append(f'<{_link(call, query, keys[end - 1], "next")}>; rel="next"')
    headers = {"Link": ", ".join(links)} if links else None
    body = {root: [project(render(r), query.fields) for r in page]}
    return JSONResponse(body, headers=headers)


def _after(key: tuple[float, int], mark: tuple[float, int], sort: Sort) -> bool:
    """Whether `key` comes after `mark` in the list's order."""
    return key < mark if sort.descending else key > mark


def _limit(call: Call) -> int:
    raw = call.params.get("limit")
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise bad_param("limit")
    return int(raw)


def _link(call: Call, query: ListQuery, key: tuple[float, int], direction: str) -> str:
    payload = {"p": query.params, "v": key[0], "i": key[1], "d": direction}
    token = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")
    params = {"limit": str(query.limit), "page_info": token}
    if query.fields:
        params["fields"] = ",".join(query.fields)
    url = call.request.url
    return f"{url.scheme}://{url.netloc}{url.path}?{urlencode(params)}"


def _decode(token: str) -> tuple[dict[str, str], Cursor]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw)
        params = payload["p"]
        cursor = Cursor(float(payload["v"]), int(payload["i"]), str(payload["d"]))
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError):
        raise bad_param("page_info") from None
    valid = isinstance(params, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in params.items())
    if not valid or cursor.direction not in ("next", "prev"):
        raise bad_param("page_info")
    return params, cursor
