"""Parsing of query parameters the list and count endpoints share (ids, times, enumerations)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime

from ferry.sandboxes.storefront.errors import bad_param
from ferry.sandboxes.storefront.formats import parse_time
from ferry.sandboxes.storefront.store import Record

TIME_FILTERS = ("created_at_min", "created_at_max", "updated_at_min", "updated_at_max")
COMMON_FILTERS = ("ids", "since_id", *TIME_FILTERS)


def int_param(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not raw.strip().isdigit():
        raise bad_param(name)
    return int(raw)


def ids_param(params: Mapping[str, str], name: str = "ids") -> set[int] | None:
    raw = params.get(name)
    if raw is None or raw.strip() == "":
        return None
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if not all(p.isdigit() for p in parts):
        raise bad_param(name)
    return {int(p) for p in parts}


def time_param(params: Mapping[str, str], name: str) -> datetime | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    moment = parse_time(raw)
    if moment is None:
        raise bad_param(name)
    return moment


def choice_param(params: Mapping[str, str], name: str, allowed: Collection[str], default: str) -> str:
    value = params.get(name) or default
    if value not in allowed:
        raise bad_param(name)
    return value


def common_predicate(params: Mapping[str, str]) -> Callable[[Record], bool]:
    """`ids`, `since_id` and the created/updated windows, which every list endpoint accepts.

    Parsing happens here, once, so a malformed parameter is refused before any filtering.
    """
    ids = ids_param(params)
    since = int_param(params, "since_id")
    bounds = {name: time_param(params, name) for name in TIME_FILTERS}
    created_min, created_max = bounds["created_at_min"], bounds["created_at_max"]
    updated_min, updated_max = bounds["updated_at_min"], bounds["updated_at_max"]

    def matches(record: Record) -> bool:
        if ids is not None and record.id not in ids:
            return False
        if since is not None and record.id <= since:
            return False
        if created_min is not None and record.created < created_min:
            return False
        if created_max is not None and record.created > created_max:
            return False
        if updated_min is not None and record.updated < updated_min:
            return False
        return updated_max is None or record.updated <= updated_max

    return matches
