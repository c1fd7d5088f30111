"""Durable state of the engine: inbox, cross-references, cursors, dead letters, reviews and audit."""

from ferry.engine.store.base import (
    AuditEntry,
    Claim,
    DeadLetter,
    Event,
    Link,
    NewEvent,
    Store,
    SyncCounts,
)
from ferry.engine.store.sqlite import SqliteStore

__all__ = [
    "AuditEntry",
    "Claim",
    "DeadLetter",
    "Event",
    "Link",
    "NewEvent",
    "SqliteStore",
    "Store",
    "SyncCounts",
]
