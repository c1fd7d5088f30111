"""The vendor-neutral shapes that cross between connectors and the engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, Literal

from ferry.core.errors import FerryError


@dataclass(frozen=True, slots=True)
class Record:
    """One record as a system holds it.

    `version` is whatever the system uses to tell one state from the next (a Dataverse row version,
    a TIMS `Version`, an SAP ETag); it is opaque to the engine except for equality and order when
    `version_order` says so.
    """

    entity: str
    id: str
    data: dict[str, Any]
    version: str | None = None
    modified_at: datetime | None = None
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class Page:
    """A slice of changes: the records, and the cursor to ask from next time.

    `cursor` is opaque and must be stored only once the records are safely in the engine's inbox;
    `more` says whether asking again with it now would return more records.
    """

    records: list[Record]
    cursor: str | None
    more: bool


@dataclass(frozen=True, slots=True)
class ChangeNotice:
    """A system said a record changed (webhook or poll). Often carries no data: fetch the current state."""

    entity: str
    id: str
    kind: Literal["upsert", "delete"] = "upsert"
    version: str | None = None
    occurred_at: datetime | None = None
    record: Record | None = None
    #: The system's own id of the notification, for deduplicating deliveries.
    event_id: str | None = None


class WriteKind(Enum):
    CREATE = "create"
    UPDATE = "update"
    UPSERT = "upsert"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class WriteOp:
    """One write to a target.

    Every write must be idempotent (DESIGN.md, invariant 2): an `UPSERT` names its record by `key`
    (an alternate key such as `{"accountnumber": "A-1001"}`) or `id`; a `CREATE` carries an
    `idempotency_key` the system honours, or the engine has looked the record up first.
    """

    kind: WriteKind
    entity: str
    data: dict[str, Any] = field(default_factory=dict)
    id: str | None = None
    key: dict[str, Any] | None = None
    if_match: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class WriteResult:
    """The outcome of one `WriteOp`, in the same position as the op in the batch."""

    ok: bool
    id: str | None = None
    version: str | None = None
    created: bool = False
    error: FerryError | None = None
    record: Record | None = None
