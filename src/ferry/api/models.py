"""Shapes of the control API's answers (they document themselves in the OpenAPI description)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class SyncStatus(BaseModel):
    sync: str
    pending: int = Field(description="Changes waiting to be processed.")
    in_flight: int = Field(description="Changes being processed now.")
    done: int
    failed: int = Field(description="Records in the dead-letter queue.")
    reviews: int = Field(description="Conflicts waiting for a person.")
    lag_seconds: float | None = Field(description="Age of the oldest unprocessed change.")


class RateLimitStatus(BaseModel):
    rate_per_second: float | None = Field(None, description="The client-side limit configured for the connection.")
    burst: int | None = None
    tokens: float | None = Field(None, description="Requests that may go out at once now (headroom).")
    headers: dict[str, str] = Field(
        default_factory=dict, description="Rate-limit headers of the system's newest answer that had any."
    )
    headers_at: datetime | None = None


class ConnectionStatus(BaseModel):
    connection: str
    circuit: str = Field(description="closed (healthy), open (paused or failing) or half-open (probing).")
    paused_reason: str | None = None
    consecutive_failures: int
    auth: str = Field("unknown", description="ok, failing, or unknown (no authenticated answer yet).")
    auth_ok_at: datetime | None = Field(None, description="When the system last accepted the credentials.")
    auth_failed_at: datetime | None = None
    auth_error: str | None = Field(None, description="Why the credentials were last refused.")
    requests: int = 0
    errors: int = Field(0, description="Requests that failed (an error answer, or no answer).")
    by_status_class: dict[str, int] = Field(default_factory=dict, description="Answers by 2xx, 4xx, 5xx, network.")
    throttled: int = Field(0, description="429 answers.")
    last_error: str | None = None
    last_error_at: datetime | None = None
    rate_limit: RateLimitStatus = Field(default_factory=RateLimitStatus)


class DeadLetterOut(BaseModel):
    id: int
    sync: str
    side: str
    record_id: str
    error_class: str
    error: str
    attempts: int
    created_at: datetime
    state: str
    reason: str | None = None
    payload: dict[str, Any] | None = None
    cause: str | None = Field(None, description="The error without its record's ids and values: the group it is in.")


class DropRequest(BaseModel):
    reason: str = Field(min_length=1, description="Why the record is dropped (kept in the audit).")


class AuditOut(BaseModel):
    action: str
    side: str
    record_id: str
    target_id: str | None
    at: datetime | None
    detail: dict[str, Any]


class RecordHistory(BaseModel):
    sync: str
    side: str
    record_id: str
    twin_id: str | None
    deleted: bool
    audit: list[AuditOut]
