"""Fault injection shared by every sandbox (`POST /_sandbox/faults`).

Faults are deterministic for a given seed and request order: the random draws come from a generator
seeded by the sandbox seed, and `error_next` fails exactly the next N API requests.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field


class RateLimitFault(BaseModel):
    """Replace the system's own rate limit with `requests` per `per_seconds`."""

    model_config = ConfigDict(extra="forbid")
    requests: int = Field(ge=1, description="Requests admitted per window.")
    per_seconds: float = Field(gt=0, description="Window length in seconds.")


class FaultSettings(BaseModel):
    """Faults to inject into API requests (never into `/_sandbox/` calls)."""

    model_config = ConfigDict(extra="forbid")
    error_rate: float = Field(0.0, ge=0, le=1, description="Share of requests answered with `error_status`.")
    error_status: int = Field(503, ge=400, le=599, description="Status used by `error_rate` and `error_next`.")
    error_next: int = Field(0, ge=0, description="Fail exactly the next N API requests.")
    latency_ms: int = Field(0, ge=0, le=120_000, description="Delay added before every API request.")
    rate_limit: RateLimitFault | None = Field(None, description="Override the system's rate limit.")
    expire_tokens: bool = Field(False, description="Treat every issued access token as expired.")
    drop_connections_rate: float = Field(
        0.0, ge=0, le=1, description="Share of requests whose connection is cut mid-response."
    )
    webhook_duplicate_rate: float = Field(
        0.0, ge=0, le=1, description="Share of webhook events delivered twice (at-least-once delivery)."
    )
    path_prefix: str | None = Field(
        None, description="Only requests whose path starts with this are affected (errors, latency, drops)."
    )


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """What to do to one request."""

    latency_s: float = 0.0
    drop: bool = False
    error_status: int | None = None


class FaultInjector:
    """Holds the active faults and decides, request by request, which apply."""

    def __init__(self, seed: int) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self.settings = FaultSettings()

    def update(self, changes: FaultSettings, fields: set[str]) -> FaultSettings:
        """Turn on the given faults, keeping the others as they are."""
        with self._lock:
            merged = self.settings.model_dump()
            merged.update({name: getattr(changes, name) for name in fields})
            self.settings = FaultSettings.model_validate(merged)
            return self.settings

    def clear(self, seed: int) -> None:
        with self._lock:
            self.settings = FaultSettings()
            self._random = random.Random(seed)

    def duplicate_webhook(self) -> bool:
        """Whether the next webhook event should also be delivered a second time."""
        with self._lock:
            rate = self.settings.webhook_duplicate_rate
            return bool(rate) and self._random.random() < rate

    def plan(self, path: str) -> FaultPlan:
        with self._lock:
            s = self.settings
            if s.path_prefix is not None and not path.startswith(s.path_prefix):
                return FaultPlan()
            latency = s.latency_ms / 1000
            if s.drop_connections_rate and self._random.random() < s.drop_connections_rate:
                return FaultPlan(latency, drop=True)
            if s.error_next:
                self.settings = s.model_copy(update={"error_next": s.error_next - 1})
                return FaultPlan(latency, error_status=s.error_status)
            if s.error_rate and self._random.random() < s.error_rate:
                return FaultPlan(latency, error_status=s.error_status)
            return FaultPlan(latency)
