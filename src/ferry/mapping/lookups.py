"""Lookup tables, compiled from a mapping's `lookups:` section into callables `key -> value`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ferry.mapping.values import ApplyError, show

_MISS = object()


def _key(value: Any, ignore_case: bool) -> Any:
    # 1 and 1.00 hash and compare alike already; keep booleans apart from 1 and 0.
    if isinstance(value, bool):
        return ("boolean", value)
    if ignore_case and isinstance(value, str):
        return value.casefold()
    return value


class LookupTable:
    """One table: `values` by key, with a `default` for keys it does not list (or a failure when strict)."""

    __slots__ = ("default", "ignore_case", "name", "strict", "values")

    def __init__(
        self,
        name: str,
        values: Mapping[Any, Any],
        *,
        default: Any = None,
        strict: bool = False,
        ignore_case: bool = False,
    ) -> None:
        self.name = name
        self.ignore_case = ignore_case
        self.values = {_key(k, ignore_case): v for k, v in values.items()}
        self.default = default
        self.strict = strict

    def __call__(self, key: Any) -> Any:
        if isinstance(key, list | dict):
            raise ApplyError(f"lookup table {self.name!r} takes a single value as key, not a list or object")
        found = self.values.get(_key(key, self.ignore_case), _MISS)
        if found is not _MISS:
            return found
        if key is None:
            return None
        if self.strict:
            raise ApplyError(f"lookup table {self.name!r} has no entry for {show(key)}")
        return self.default
