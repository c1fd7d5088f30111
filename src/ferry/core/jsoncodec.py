"""JSON with exact decimals: money never passes through a float on its way in or out."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import orjson


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # Written as a JSON number with exactly its digits.
        return orjson.Fragment(format(value, "f").encode())
    raise TypeError(f"cannot serialise {type(value).__name__} as JSON")


def dumps(value: Any) -> bytes:
    """Serialise, writing Decimals as exact numbers and datetimes as ISO 8601."""
    return orjson.dumps(value, default=_default)


def loads(raw: bytes | str) -> Any:
    """Parse, reading every non-integer number as a Decimal."""
    return json.loads(raw, parse_float=Decimal)


__all__ = ["dumps", "loads"]
