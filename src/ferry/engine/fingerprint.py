"""Comparing payloads: a stable hash of what ferry wrote, and the fields a write would change."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson

_DECIMAL_TEXT = re.compile(r"-?\d+\.\d+")


def normalise(value: Any) -> Any:
    """One representation per meaning: Decimal('1250.00'), 1250 and "1250.00" all become "1250"."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | Decimal):
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
        normalised = number.normalize()
        return format(normalised, "f") if normalised == normalised.to_integral() else str(normalised)
    if isinstance(value, str):
        # Money travels as "1250.00" in some systems and 1250 in others; compare the amounts. Only strings
        # with a decimal point qualify, so codes such as postal code "00599" keep their leading zeros.
        return normalise(Decimal(value)) if _DECIMAL_TEXT.fullmatch(value) else value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): normalise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalise(v) for v in value]
    return str(value)


def fingerprint(payload: Mapping[str, Any]) -> str:
    """A hash that is the same for the same meaning, whatever the key order or number formatting."""
    canonical = orjson.dumps(normalise(payload), option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(canonical, digest_size=16).hexdigest()


def changes(desired: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """The part of `desired` that differs from `current` (nested objects compared field by field).

    Fields the target does not return (write-only fields, binds such as `x@odata.bind`) always count as
    changes unless their value is None, so they are sent rather than assumed.
    """
    diff: dict[str, Any] = {}
    for key, want in desired.items():
        have = current.get(key)
        if isinstance(want, Mapping) and isinstance(have, Mapping):
            inner = changes(want, have)
            if inner:
                diff[key] = want
        elif isinstance(want, list) and isinstance(have, list) and _objects(want) and _objects(have):
            # Lines compare item by item, each on the fields ferry writes (the target adds its own).
            if len(want) != len(have) or any(changes(w, h) for w, h in zip(want, have, strict=True)):
                diff[key] = want
        elif key not in current:
            if want is not None:
                diff[key] = want
        elif normalise(want) != normalise(have):
            diff[key] = want
    return diff


def _objects(items: list[Any]) -> bool:
    return all(isinstance(v, Mapping) for v in items)
