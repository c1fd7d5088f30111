"""TIMS failures: the seam's status table, plus what TIMS's problem+json bodies add.

TIMS answers every error as `application/problem+json` (RFC 9457): `title`, `detail`, and for field
problems `errors: [{"field", "message"}]`, with extension members such as `existingId` (409) and
`currentVersion` (412). The status picks the class through the seam's table; the body supplies the
message, the field errors and the context the engine shows next to a dead letter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ferry.core.errors import (
    AuthError,
    ConflictError,
    FerryError,
    NotFoundError,
    PermanentError,
    RateLimitedError,
    TransientError,
    ValidationError,
)
from ferry.http import ErrorTable, Response, classify

SYSTEM = "TIMS"
PROBLEM_PREFIX = "urn:tims:problem:"

#: Status -> class, on top of the seam's defaults (kept explicit: this is the contract's list).
ERRORS: ErrorTable = {
    400: ValidationError,
    401: AuthError,
    403: AuthError,
    404: NotFoundError,
    409: ConflictError,
    412: ConflictError,
    422: ValidationError,
    429: RateLimitedError,
    503: TransientError,
}

#: Statuses that concern one record, not the connection: the client reads their bodies itself.
RECORD_STATUSES = frozenset({400, 404, 409, 412, 413, 422})


def problem(response: Response) -> dict[str, Any]:
    """The problem+json body, or an empty dict when the body is not one."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def field_errors(body: Mapping[str, Any]) -> dict[str, str]:
    """`errors: [{"field","message"}]` as field -> message (messages for one field joined)."""
    found: dict[str, str] = {}
    errors = body.get("errors")
    if not isinstance(errors, list):
        return found
    for entry in errors:
        if isinstance(entry, dict) and isinstance(entry.get("message"), str):
            name = str(entry.get("field") or "")
            found[name] = f"{found[name]}; {entry['message']}" if name in found else entry["message"]
    return found


def describe_problem(response: Response) -> str | None:
    """The people-facing text of a TIMS error: its `detail` (or `title`) and the field errors."""
    body = problem(response)
    text = body.get("detail") or body.get("title")
    if not isinstance(text, str):
        return None
    fields = field_errors(body)
    listed = "; ".join(f"{name}: {message}" for name, message in fields.items() if name and message != text)
    return f"{text} ({listed})" if listed else text


def problem_error(response: Response) -> FerryError:
    """The FerryError for a failed TIMS response, with the problem's slug, field errors and extensions."""
    error = classify(response, system=SYSTEM, table=ERRORS, message=describe_problem)
    body = problem(response)
    if isinstance(error, ValidationError):
        error.field_errors = field_errors(body)
    if isinstance(body.get("detail"), str):
        error.detail = body["detail"]
    kind = body.get("type")
    if isinstance(kind, str) and kind.startswith(PROBLEM_PREFIX):
        error.context["problem"] = kind.removeprefix(PROBLEM_PREFIX)
    for member, name in (("existingId", "existing_id"), ("currentVersion", "current_version")):
        if member in body:
            error.context[name] = str(body[member])
    return error


def is_record_level(error: FerryError) -> bool:
    """Whether `error` concerns one record (a failed result) rather than the whole call (raised)."""
    return isinstance(error, PermanentError) and not isinstance(error, AuthError)


__all__ = [
    "ERRORS",
    "RECORD_STATUSES",
    "SYSTEM",
    "describe_problem",
    "field_errors",
    "is_record_level",
    "problem",
    "problem_error",
]
