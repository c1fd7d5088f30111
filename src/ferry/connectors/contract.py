"""The connector contract: what the engine asks of every system.

Read a page of changes since a cursor; read one record; find records by match values; apply a batch
of writes; describe the entities; check health; and, where the system pushes notifications, subscribe
and verify them. The same contract fits Dataverse (OData v4, change tracking, webhooks), TIMS (REST,
`modifiedSince`, signed webhooks), SAP S/4HANA (OData v2, CSRF, `$batch`, business events), Kashflow
(REST, polling on `LastUpdatedDate`) and Dynamics AX (SOAP document services, table polling): a
cursor is opaque to the engine, writes are a batch the connector may send in one `$batch` or one by
one, and pushing is an optional capability.

A connector that can read chosen columns says so with a class attribute `selects_columns = True`;
the engine then passes `select=[...]` (the fields its mappings, match rules and link field use) to
`read`, `get` and `find`, beside the sync's other options.

Every failure a connector raises is a `ferry.core.errors.FerryError` of the right class, so the
engine knows whether to retry, wait, pause the connection or dead-letter the record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

from pydantic import BaseModel

from ferry.core.records import ChangeNotice, Page, Record, WriteOp, WriteResult

FieldType = Literal[
    "string", "integer", "decimal", "boolean", "datetime", "date", "reference", "choice", "object", "list"
]


@dataclass(frozen=True, slots=True)
class FieldSchema:
    name: str
    type: FieldType
    required: bool = False
    read_only: bool = False
    max_length: int | None = None
    #: For a choice: value -> label.
    choices: Mapping[Any, str] | None = None
    #: For a reference: the entity it points at.
    references: str | None = None


@dataclass(frozen=True, slots=True)
class EntitySchema:
    name: str
    id_field: str
    fields: Mapping[str, FieldSchema]
    #: Alternate keys a write may name a record by (each a tuple of field names).
    keys: Sequence[tuple[str, ...]] = ()
    #: Whether `read` can return only changes since a cursor (else it rescans).
    incremental: bool = True
    #: Whether the system reports deletions to `read`.
    reports_deletes: bool = False


@dataclass(frozen=True, slots=True)
class Health:
    ok: bool
    detail: str
    #: Requests left in the system's current rate-limit window, when it says.
    rate_limit_remaining: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class WebhookSource(Protocol):
    """A system that pushes change notifications to a URL."""

    async def subscribe(self, url: str, entities: Sequence[str], secret: str) -> str:
        """Register `url` for changes to `entities`; return the system's id of the subscription.

        Make it idempotent: subscribing the same URL again must not create a second subscription.
        """
        ...

    async def unsubscribe(self, subscription_id: str) -> None:
        """Remove a subscription made by `subscribe` (no error if it is already gone)."""
        ...

    def parse(self, headers: Mapping[str, str], body: bytes, secret: str) -> list[ChangeNotice]:
        """Verify and read one delivery.

        Raise `AuthError` when the signature or shared secret does not match, `ValidationError`
        when the body is malformed. Headers arrive with lower-case names.
        """
        ...


class Connector(Protocol):
    """One connection to one system. Create it from its `Config`; close it with `aclose()`."""

    #: The connector's registered name (`dynamics365`, `tims`, ...).
    name: ClassVar[str]
    #: The pydantic model of its configuration.
    Config: ClassVar[type[BaseModel]]
    #: The push capability, or None when the system must be polled.
    webhooks: WebhookSource | None

    async def check(self) -> Health:
        """Authenticate and make one cheap call; never raise for an unreachable system, report it."""
        ...

    async def describe(self) -> list[EntitySchema]:
        """The entities this connector can sync, from the system's own metadata where it has some."""
        ...

    async def read(self, entity: str, cursor: str | None, *, page_size: int = 500) -> Page:
        """Records changed since `cursor` (every record when `cursor` is None), oldest change first.

        Return the cursor to resume from after these records. Deleted records come back with
        `deleted=True` where the system reports deletions.
        """
        ...

    async def get(self, entity: str, record_id: str) -> Record | None:
        """The current state of one record, or None if it does not exist."""
        ...

    async def find(self, entity: str, match: Mapping[str, Any]) -> list[Record]:
        """Records whose fields equal every value in `match` (to link records that exist on both sides)."""
        ...

    async def write(self, ops: Sequence[WriteOp]) -> list[WriteResult]:
        """Apply the writes, batched where the system allows; one result per op, in order.

        A record-level refusal is a failed `WriteResult` (with a `ValidationError`, `ConflictError` or
        `NotFoundError`); a failure of the whole call (auth, rate limit, outage) is raised.
        """
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...
