"""Resolving `twin('sync', id)` in mappings: cross-references kept by other syncs, and dependencies.

A purchase order names its vendor by the Dynamics 365 account id; TIMS wants its own VendorID. The
`vendors` sync keeps that pair in its links. Mappings stay pure: a first pass records which twins it
asks for, the engine reads them from the store, and a second pass maps with them. A twin that is not
there yet is a dependency: the engine asks for that record to be synced, and the record that needs it
waits (`DependencyMissing`) instead of being written without it.

`twin('sync', id, 'field')` asks for a field of the twin itself (the balance the other system keeps
for an invoice): the engine reads the twin from its system, through a reader it passes to `resolve`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ferry.core.errors import ConfigError, TransientError
from ferry.engine.spec import SyncSpec
from ferry.engine.store.base import SIDES, Side, other
from ferry.engine.store.sqlite import SqliteStore


@dataclass(frozen=True, slots=True)
class Needed:
    """A record of sync `sync`, on `side`, that has no twin yet."""

    sync: str
    side: Side
    record_id: str


class DependencyMissing(TransientError):
    """The record refers to records not yet in the target system; it waits for them."""

    def __init__(self, needed: list[Needed], target: str) -> None:
        names = ", ".join(f"{n.sync} record {n.record_id}" for n in needed)
        super().__init__(f"waits for {names}, not in {target} yet (synced first, then this record)")
        self.needed = needed


#: Reads the twin `id` of sync `sync` (on the side away from the mapping's source): its data, or None.
TwinReader = Callable[[str, str], Awaitable[Mapping[str, Any] | None]]


class Twins:
    """The resolver a mapping's `twin()` calls: known twins answer, unknown ones are noted."""

    def __init__(self, syncs: Mapping[str, SyncSpec], source_connection: str) -> None:
        self.syncs = syncs
        self.source_connection = source_connection
        self.known: dict[tuple[str, str], str | None] = {}
        self.asked: set[tuple[str, str]] = set()
        #: Fields of twins: (sync, source id, field) -> value, and those asked for.
        self.fields: dict[tuple[str, str, str], Any] = {}
        self.asked_fields: set[tuple[str, str, str]] = set()

    def __call__(self, sync: str, record_id: str, field: str | None = None) -> Any:
        if field is not None:
            wanted = (sync, record_id, field)
            if wanted not in self.fields:
                self.asked_fields.add(wanted)
                self.asked.add((sync, record_id))  # the twin's id first
            return self.fields.get(wanted)
        key = (sync, record_id)
        if key not in self.known:
            self.asked.add(key)
        return self.known.get(key)

    @property
    def unresolved(self) -> bool:
        return any(key not in self.known for key in self.asked) or any(
            key not in self.fields for key in self.asked_fields
        )

    def side_of(self, sync: str) -> Side:
        """The side of `sync` that holds records of the mapping's source system."""
        spec = self.syncs.get(sync)
        if spec is None:
            known = ", ".join(sorted(self.syncs))
            raise ConfigError(f"twin('{sync}', ...): the project has no sync named '{sync}' (it has: {known}).")
        for side in SIDES:
            if spec.side(side).connection == self.source_connection:
                return side
        raise ConfigError(
            f"twin('{sync}', ...): sync '{sync}' does not connect {self.source_connection}, the source of this record."
        )

    async def resolve(self, store: SqliteStore, read: TwinReader | None = None) -> None:
        """Read every twin asked for and not yet known from the store (None where there is none), and,
        with `read`, the fields asked for of those twins from their system (None for a twin not there)."""
        for sync, record_id in sorted(self.asked - self.known.keys()):
            side = self.side_of(sync)
            link = await store.link(sync, side, record_id)
            twin = link.id_on(other(side)) if link is not None and not link.deleted else None
            self.known[(sync, record_id)] = twin
        records: dict[tuple[str, str], Mapping[str, Any] | None] = {}
        for sync, record_id, field in sorted(self.asked_fields - self.fields.keys()):
            twin = self.known.get((sync, record_id))
            if twin is not None and read is not None and (sync, twin) not in records:
                records[(sync, twin)] = await read(sync, twin)
            data = records.get((sync, twin)) if twin is not None else None
            self.fields[(sync, record_id, field)] = None if data is None else data.get(field)

    def read_side(self, sync: str) -> Side:
        """The side of `sync` a twin's fields are read from: the one away from the mapping's source."""
        return other(self.side_of(sync))

    def missing(self) -> list[Needed]:
        return [Needed(s, self.side_of(s), i) for (s, i) in sorted(self.asked) if self.known.get((s, i)) is None]
