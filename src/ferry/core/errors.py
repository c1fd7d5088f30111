"""The failures ferry knows how to act on.

    FerryError                   root; `message` is for people, `detail` for logs
    ├── ConfigError              a project, flag or environment value is wrong; fix it and start again
    ├── TransientError           try again later (`retry_after` seconds when the system said so)
    │   └── RateLimitedError     the system asked us to slow down
    └── PermanentError           retrying the same thing will fail the same way
        ├── AuthError            credentials refused; pause the connection, alert, do not burn retries
        ├── ValidationError      this record is wrong; dead-letter it with its field errors
        ├── ConflictError        the record changed under us, or already exists
        ├── NotFoundError        the record is not there
        └── CursorExpiredError   the system no longer knows a read cursor; read again from the start

The CLI turns `exit_code` into the process exit status and never prints a traceback for these.
"""

from __future__ import annotations

from typing import Any


class FerryError(Exception):
    """Root of every failure ferry raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, detail: str | None = None, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.context = context

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep keyword-only state when the error crosses a process boundary.
        return (_rebuild, (type(self), self.message, self.detail, self.context))


def _rebuild(cls: type[FerryError], message: str, detail: str | None, context: dict[str, Any]) -> FerryError:
    return cls(message, detail=detail, **context)


class ConfigError(FerryError):
    """A project file, flag or environment value is wrong; nothing ran."""

    exit_code = 2


class TransientError(FerryError):
    """Retry with backoff; honour `retry_after` (seconds) when the system gave one."""

    def __init__(
        self, message: str, *, retry_after: float | None = None, detail: str | None = None, **context: Any
    ) -> None:
        super().__init__(message, detail=detail, **context)
        self.retry_after = retry_after

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild,
            (type(self), self.message, self.detail, {**self.context, "retry_after": self.retry_after}),
        )


class RateLimitedError(TransientError):
    """The system refused the call because of its rate limits."""


class PermanentError(FerryError):
    """Retrying the same request will fail the same way."""


class AuthError(PermanentError):
    """Credentials were refused; pause the connection instead of retrying."""


class ValidationError(PermanentError):
    """The payload is wrong for the target; `field_errors` maps field to problem."""

    def __init__(
        self,
        message: str,
        *,
        field_errors: dict[str, str] | None = None,
        detail: str | None = None,
        **context: Any,
    ) -> None:
        super().__init__(message, detail=detail, **context)
        self.field_errors = field_errors or {}

    def __reduce__(self) -> tuple[Any, ...]:
        state = {**self.context, "field_errors": self.field_errors}
        return (_rebuild, (type(self), self.message, self.detail, state))


class ConflictError(PermanentError):
    """The record changed since we read it, or a record with the same key exists."""


class NotFoundError(PermanentError):
    """The record or resource does not exist."""


class CursorExpiredError(PermanentError):
    """The system has forgotten the cursor `read` was given (e.g. an expired change-tracking token).

    Retrying with the same cursor fails the same way; read again with no cursor to re-baseline.
    """


__all__ = [
    "AuthError",
    "ConfigError",
    "ConflictError",
    "CursorExpiredError",
    "FerryError",
    "NotFoundError",
    "PermanentError",
    "RateLimitedError",
    "TransientError",
    "ValidationError",
]
