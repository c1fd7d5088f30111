"""Resolving `twin('sync', id)` in mappings: cross-references kept by other syncs, and dependencies.

A purchase order names its vendor by the Dynamics 365 account id; TIMS wants its own VendorID. The
`vendors` sync keeps that pair in its links. Mappings stay pure: a first pass records which twins it
asks for, the engine reads them from the store, and a second pass maps with them. A twin that is not
there yet is a dependency: the engine asks for that record to be synced, and the record that needs it
waits (`DependencyMissing`) instead of being written without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

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


class Twins:
    """The resolver a mapping's `twin()` calls: known twins answer, unknown ones are noted."""

    def __init__(self, syncs: Mapping[str, SyncSpec], source_connection: str) -> None:
        self.syncs = syncs
        self.source_connection = source_connection
        self.known: dict[tuple[str, str], str | None] = {}
        self.asked: set[tuple[str, str]] = set()

    def __call__(self, sync: str, record_id: str) -> str | None:
        key = (sync, record_id)
        if key not in self.known:
            self.asked.add(key)
        return self.known.get(key)

    @property
    def unresolved(self) -> bool:
        return any(key not in self.known for key in self.asked)

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

    async def resolve(self, store: SqliteStore) -> None:
        """Read every twin asked for and not yet known from the store (None where there is none)."""
        for sync, record_id in sorted(self.asked - self.known.keys()):
            side = self.side_of(sync)
            link = await store.link(sync, side, record_id)
            twin = link.id_on(other(side)) if link is not None and not link.deleted else None
            self.known[(sync, record_id)] = twin

    def missing(self) -> list[Needed]:
        return [Needed(s, self.side_of(s), i) for (s, i) in sorted(self.asked) if self.known.get((s, i)) is None]
