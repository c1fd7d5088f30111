"""Reading request bodies and writing JSON the way every sandbox needs."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response


class BodyError(Exception):
    """The request body cannot be used; `status` is what the system answers (400 or 413)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refusing more than `limit` bytes without buffering all of it."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyError(413, f"The request body is larger than the limit of {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyError(413, f"The request body is larger than the limit of {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """A JSON object with decimals kept exact (money never passes through float)."""
    if not raw.strip():
        raise BodyError(400, "The request body is empty; send a JSON object.")
    try:
        value = json.loads(raw, parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BodyError(400, f"The request body is not valid JSON: {exc}.") from None
    except RecursionError:
        raise BodyError(400, "The request body is nested too deeply to be read as JSON.") from None
    if not isinstance(value, dict):
        raise BodyError(400, "The request body must be a JSON object.")
    return value


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # Keep the exact digits on the wire: a JSON number, not a float round trip.
        return orjson.Fragment(format(value, "f").encode())
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=_default)


class JSONResponse(Response):
    """orjson-backed JSON response that writes Decimals exactly."""

    media_type = "application/json"

    def __init__(
        self,
        content: Any,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
    ) -> None:
        super().__init__(dumps(content), status_code, headers, media_type)
