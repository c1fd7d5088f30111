"""One table from HTTP outcome to failure class; connectors override entries, not write `if` chains."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from ferry.http.client import Response

ErrorTable = Mapping[int, type[FerryError]]

DEFAULT_TABLE: dict[int, type[FerryError]] = {
    400: ValidationError,
    401: AuthError,
    403: AuthError,
    404: NotFoundError,
    405: PermanentError,
    408: TransientError,
    409: ConflictError,
    410: NotFoundError,
    412: ConflictError,
    413: ValidationError,
    415: PermanentError,
    422: ValidationError,
    423: TransientError,
    425: TransientError,
    428: ConflictError,
    429: RateLimitedError,
    501: PermanentError,
}


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a `Retry-After` header: delta-seconds (fractions allowed) or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def classify(
    response: Response,
    *,
    system: str,
    table: ErrorTable | None = None,
    message: Callable[[Response], str | None] | None = None,
) -> FerryError:
    """The FerryError for a failed response, carrying the system's own message and `Retry-After`."""
    lookup = {**DEFAULT_TABLE, **(table or {})}
    cls = lookup.get(response.status)
    if cls is None:
        cls = TransientError if response.status >= 500 else PermanentError
    text = (message(response) if message else None) or response.text[:300] or response.reason
    summary = f"{system} answered {response.status}: {text}"
    url = response.url.split("?")[0]  # query strings may carry keys (`?code=`); keep them out of errors
    if issubclass(cls, TransientError):
        wait = retry_after(response.headers.get("retry-after"))
        return cls(summary, retry_after=wait, status=response.status, url=url)
    return cls(summary, status=response.status, url=url)
