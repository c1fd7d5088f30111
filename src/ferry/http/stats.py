"""Per-connection health kept by the HTTP seam: requests and errors, auth state, rate-limit headroom.

Every `HttpClient` updates a `ConnectionStats`, so every connector gets these for free. Whoever builds
a project's connectors (`run/assemble.py`) names them with `stats_scope`: clients made inside it
share that connection's stats. Nothing secret is kept: error texts go through `scrub`, and only the
values of rate-limit headers are remembered.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, MutableMapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ferry.core.redact import scrub

if TYPE_CHECKING:
    from ferry.http.limits import TokenBucket

_Scope = tuple[MutableMapping[str, "ConnectionStats"], str]
_scope: ContextVar[_Scope | None] = ContextVar("ferry_http_stats", default=None)


@dataclass
class ConnectionStats:
    connection: str
    clock: Callable[[], float] = field(default=time.time, repr=False)
    requests: int = 0
    #: Answers by status class ("2xx", "4xx", ...), and requests that got no answer ("network").
    by_class: dict[str, int] = field(default_factory=dict)
    throttled: int = 0
    errors: int = 0
    last_error: str | None = None
    last_error_at: float | None = None
    auth_ok_at: float | None = None
    auth_failed_at: float | None = None
    auth_error: str | None = None
    #: The rate-limit headers of the newest answer that had any (`x-ratelimit-remaining`, ...).
    rate_limit_headers: dict[str, str] = field(default_factory=dict)
    rate_limit_headers_at: float | None = None
    buckets: list[TokenBucket] = field(default_factory=list, repr=False)

    def _now(self) -> float:
        return self.clock()

    @property
    def auth_state(self) -> str:
        """`ok` or `failing` after the newest authenticated answer, `unknown` before any."""
        if self.auth_failed_at is not None and (self.auth_ok_at is None or self.auth_failed_at >= self.auth_ok_at):
            return "failing"
        return "ok" if self.auth_ok_at is not None else "unknown"

    def answered(self, status: int, headers: dict[str, str], *, authenticated: bool) -> None:
        self.requests += 1
        key = _CLASSES.get(status // 100, "other")
        self.by_class[key] = self.by_class.get(key, 0) + 1
        limits = {k: v for k, v in headers.items() if "limit" in k}
        if limits:
            self.rate_limit_headers = limits
            self.rate_limit_headers_at = self._now()
        if status == 429:
            self.throttled += 1
        if authenticated and status not in (401, 403):
            self.auth_ok_at = self._now()

    def unreachable(self, message: str) -> None:
        self.requests += 1
        self.by_class["network"] = self.by_class.get("network", 0) + 1
        self.failed(message)

    def failed(self, message: str) -> None:
        self.errors += 1
        self.last_error = scrub(message)[:500]
        self.last_error_at = self._now()

    def auth_failed(self, message: str) -> None:
        self.auth_error = scrub(message)[:500]
        self.auth_failed_at = self._now()


_CLASSES = {1: "1xx", 2: "2xx", 3: "3xx", 4: "4xx", 5: "5xx"}


@contextlib.contextmanager
def stats_scope(registry: MutableMapping[str, ConnectionStats], connection: str) -> Iterator[None]:
    """HTTP clients made inside this block keep their stats in `registry[connection]`."""
    token = _scope.set((registry, connection))
    try:
        yield
    finally:
        _scope.reset(token)


def stats_for(system: str) -> ConnectionStats:
    """The stats of the connection being built (see `stats_scope`), else stats of its own."""
    scope = _scope.get()
    if scope is None:
        return ConnectionStats(system)
    registry, connection = scope
    if connection not in registry:
        registry[connection] = ConnectionStats(connection)
    return registry[connection]
