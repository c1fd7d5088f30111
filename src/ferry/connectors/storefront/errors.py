"""Storefront failures: the seam's status table, plus what Shopify's `errors` bodies add.

Shopify answers every error as `{"errors": ...}`, where the member is a string (`"Not Found"`), a
map of parameter to message (400), a map of field to a list of messages (422 validation), or a list
of messages (422s not tied to a field, such as fulfillment and inventory rules). The status picks
the class; the body supplies the message people see and the field errors of a dead letter.
"""

from __future__ import annotations

from typing import Any

from ferry.core.errors import (
    AuthError,
    ConflictError,
    CursorExpiredError,
    FerryError,
    NotFoundError,
    PermanentError,
    RateLimitedError,
    TransientError,
    ValidationError,
)
from ferry.http import ErrorTable, Response, classify

SYSTEM = "Storefront"

#: Status -> class, on top of the seam's defaults (kept explicit: this is Shopify's list).
ERRORS: ErrorTable = {
    400: ValidationError,
    401: AuthError,
    # 402: the shop is frozen (unpaid bill); 403: the token lacks the scope. Neither heals by retrying.
    402: AuthError,
    403: AuthError,
    404: NotFoundError,
    406: PermanentError,
    409: ConflictError,
    415: PermanentError,
    422: ValidationError,
    # 423: the shop is locked (being migrated, or under review); it comes back.
    423: TransientError,
    429: RateLimitedError,
    503: TransientError,
}

#: Statuses that concern one request's content, not the connection: the client reads their bodies.
RECORD_STATUSES = frozenset({400, 404, 409, 413, 422})


def errors_member(response: Response) -> Any:
    """The `errors` member of the body, or None when the body has none."""
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("errors", body.get("error")) if isinstance(body, dict) else None


def field_errors(errors: Any) -> dict[str, str]:
    """`{"email": ["is invalid"], "base": [...]}` as field -> message (messages for one field joined)."""
    if isinstance(errors, dict):
        return {str(name): _text(value) for name, value in errors.items()}
    return {}


def describe(response: Response) -> str | None:
    """The people-facing text of a Shopify error: `email is invalid; phone has already been taken`."""
    errors = errors_member(response)
    if errors is None or errors == "":
        return None
    if isinstance(errors, dict):
        return "; ".join(_phrase(name, _text(value)) for name, value in errors.items())
    return _text(errors)


def shopify_error(response: Response) -> FerryError:
    """The FerryError for a failed Shopify response, with its field errors."""
    errors = errors_member(response)
    if response.status == 400 and isinstance(errors, dict) and "page_info" in errors:
        # A page token Shopify no longer accepts (expired, or from another query).
        return CursorExpiredError(
            f"{SYSTEM} no longer accepts the read cursor's page token: {describe(response)}. "
            "Reset the sync's cursor to read from the start.",
            status=400,
        )
    error = classify(response, system=SYSTEM, table=ERRORS, message=describe)
    if isinstance(error, ValidationError):
        error.field_errors = field_errors(errors)
    return error


def is_record_level(error: FerryError) -> bool:
    """Whether `error` concerns one record (a failed result) rather than the whole call (raised)."""
    return isinstance(error, PermanentError) and not isinstance(error, AuthError | CursorExpiredError)


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def _phrase(name: str, message: str) -> str:
    # Shopify's messages read on from the field name ("email" + "is invalid"); "base" has none.
    return message if name == "base" else f"{name} {message}"


__all__ = [
    "ERRORS",
    "RECORD_STATUSES",
    "SYSTEM",
    "describe",
    "field_errors",
    "is_record_level",
    "shopify_error",
]
