"""What `/api/connections` says of each connection: circuit, auth, traffic, errors, rate-limit headroom."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ferry.api.models import ConnectionStatus, RateLimitStatus
from ferry.engine.breaker import CircuitBreaker
from ferry.engine.store.series import FlowKind
from ferry.http.stats import ConnectionStats


@dataclass(frozen=True)
class Telemetry:
    """What the running engine knows beyond the store, for the health, overview and metrics endpoints."""

    #: Each connection's HTTP health (`Assembly.http_stats`).
    http: Mapping[str, ConnectionStats] = field(default_factory=dict)
    #: The project's flows by name, so idle ones show in the overview.
    flows: Mapping[str, FlowKind] = field(default_factory=dict)
    #: Records settled since the start, by (sync or workflow, outcome) (`Engine.settled`).
    settled: Mapping[tuple[str, str], int] = field(default_factory=dict)


def connection_statuses(
    breakers: Mapping[str, CircuitBreaker], http: Mapping[str, ConnectionStats]
) -> list[ConnectionStatus]:
    return [_status(name, breakers.get(name), http.get(name)) for name in sorted({*breakers, *http})]


def _status(name: str, breaker: CircuitBreaker | None, stats: ConnectionStats | None) -> ConnectionStatus:
    status = ConnectionStatus(
        connection=name,
        circuit=breaker.state if breaker else "closed",
        paused_reason=breaker.paused_reason if breaker else None,
        consecutive_failures=breaker.failures if breaker else 0,
    )
    if stats is None:
        return status
    bucket = stats.buckets[0] if stats.buckets else None
    return status.model_copy(
        update={
            "auth": stats.auth_state,
            "auth_ok_at": _at(stats.auth_ok_at),
            "auth_failed_at": _at(stats.auth_failed_at),
            "auth_error": stats.auth_error,
            "requests": stats.requests,
            "errors": stats.errors,
            "by_status_class": dict(stats.by_class),
            "throttled": stats.throttled,
            "last_error": stats.last_error,
            "last_error_at": _at(stats.last_error_at),
            "rate_limit": RateLimitStatus(
                rate_per_second=bucket.rate if bucket else None,
                burst=bucket.burst if bucket else None,
                tokens=round(bucket.available(), 3) if bucket else None,
                headers=dict(stats.rate_limit_headers),
                headers_at=_at(stats.rate_limit_headers_at),
            ),
        }
    )


def _at(ts: float | None) -> datetime | None:
    return datetime.fromtimestamp(ts, UTC) if ts is not None else None
