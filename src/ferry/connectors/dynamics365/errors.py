"""Dataverse failures in ferry's classes: the seam's status table plus Dataverse's own error body.

Dataverse answers `{"error": {"code": "0x80040217", "message": "..."}}` (Entra ID, at the token
endpoint, `{"error": "invalid_client", "error_description": "AADSTS7000215: ..."}`). `describe`
turns either into the message the seam puts in the FerryError.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ferry.core import jsoncodec
from ferry.core.errors import FerryError, ValidationError
from ferry.http import ErrorTable, Response, classify

SYSTEM = "Dataverse"

#: Dataverse's statuses mean what the seam's default table says (400 validation, 401/403 auth,
#: 404 not found, 412 conflict, 429 rate limited, 5xx transient); only the body needs reading.
ERRORS: ErrorTable = {}

#: `Version stamp associated with the client has expired. Please perform a full sync.`
DELTA_EXPIRED_CODE = "0x80044352"
OBJECT_DOES_NOT_EXIST = "0x80040217"

_CHALLENGE = re.compile(r"error_description=\"?([^\",]+)")
# Messages that name the offending column, as Dataverse words them.
_FIELD_PATTERNS = (
    re.compile(r"property (?:named )?'([\w@.]+)'", re.IGNORECASE),
    re.compile(r"length of the '(\w+)' attribute", re.IGNORECASE),
    re.compile(r"attribute '(\w+)'", re.IGNORECASE),
    re.compile(r"'(\w+)' attribute", re.IGNORECASE),
    re.compile(r"[Ff]ield '(\w+)'"),
)


def error_body(response: Response) -> tuple[str | None, str | None]:
    """(code, message) from a Dataverse or Entra ID error body; (None, None) if it has neither."""
    try:
        body = jsoncodec.loads(response.body) if response.body else None
    except ValueError:
        return None, None
    if not isinstance(body, Mapping):
        return None, None
    error = body.get("error")
    if isinstance(error, Mapping):
        code, message = error.get("code"), error.get("message")
        return (str(code) if code else None), (str(message) if message else None)
    if isinstance(error, str):  # Entra ID: {"error": "invalid_client", "error_description": "..."}
        description = body.get("error_description")
        text = str(description).split("\r\n", 1)[0] if description else error
        return error, text
    return None, None


def describe(response: Response) -> str | None:
    """The seam's `describe` hook: Dataverse's message, with its code when it sent one.

    A refused token comes back as a bare 401 whose `WWW-Authenticate` header says why.
    """
    code, message = error_body(response)
    if message is None:
        m = _CHALLENGE.search(response.headers.get("www-authenticate", ""))
        return m.group(1).strip() if m else None
    return f"{message} ({code})" if code and code.startswith("0x") else message


def field_of(message: str) -> str | None:
    """The column a Dataverse validation message names, when it names one."""
    for pattern in _FIELD_PATTERNS:
        m = pattern.search(message)
        if m:
            return m.group(1)
    return None


def error_for(response: Response, **context: Any) -> FerryError:
    """The FerryError for one failed response (a whole request or one part of a `$batch`)."""
    error = classify(response, system=SYSTEM, table=ERRORS, message=describe)
    merged = {**error.context, **context}
    if isinstance(error, ValidationError):
        _code, message = error_body(response)
        field = field_of(message or "")
        return ValidationError(
            error.message,
            field_errors={field: message or error.message} if field else None,
            detail=error.detail,
            **merged,
        )
    error.context = merged
    return error


def is_delta_expired(response: Response) -> bool:
    code, message = error_body(response)
    return response.status == 400 and (code == DELTA_EXPIRED_CODE or "perform a full sync" in (message or "").lower())


def is_missing_row(response: Response) -> bool:
    """A 404 for a row that does not exist (as opposed to an unknown entity set or path)."""
    code, message = error_body(response)
    return response.status == 404 and (code == OBJECT_DOES_NOT_EXIST or "does not exist" in (message or "").lower())
