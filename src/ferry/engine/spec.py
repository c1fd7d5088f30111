"""What the engine runs: syncs between two sides, as compiled from a project."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from ferry.engine.store.base import Side

Direction = Literal["both", "left_to_right", "right_to_left"]


class RecordMapping(Protocol):
    """A compiled mapping from one side's record to the other side's payload."""

    name: str
    #: Source paths it reads and target paths it writes (dotted), so only those columns need reading.
    fields_read: frozenset[str]
    fields_written: frozenset[str]

    def skips(self, record: dict[str, Any], *, context: dict[str, Any] | None = None) -> bool: ...

    def skip_reason(self, record: dict[str, Any], *, context: dict[str, Any] | None = None) -> str: ...

    def apply(
        self, record: dict[str, Any], *, context: dict[str, Any] | None = None, creating: bool = False
    ) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class SideSpec:
    connection: str
    entity: str
    #: Extra keyword arguments for the connector's `read`/`get`/`find` (column selection, expansion, filter).
    options: Mapping[str, Any] = field(default_factory=dict)
    #: Fields that identify its records in record search; empty: picked by their names.
    search: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MatchRule:
    """Link records that already exist on both sides when these fields are equal (initial load).

    With `via`, the values are ids of two records that sync `via` keeps as twins: the left field names
    a record of the left system, the right field the record of the right system twinned with it (a
    shipment's order, say, is found as the order the order sync pairs with the shipment's order).
    """

    left: str
    right: str
    via: str | None = None


@dataclass(frozen=True, slots=True)
class ConflictPolicy:
    policy: Literal["newest_wins", "system_of_record", "review"] = "newest_wins"
    winner: Side | None = None


@dataclass(frozen=True, slots=True)
class SyncSpec:
    name: str
    left: SideSpec
    right: SideSpec
    maps: Mapping[Side, RecordMapping]
    direction: Direction = "both"
    #: The field on one side that stores the twin's id (e.g. ("right", "ExternalID")).
    link_field: tuple[Side, str] | None = None
    match: tuple[MatchRule, ...] = ()
    conflicts: ConflictPolicy = ConflictPolicy()
    #: A source deletion: `propagate` deletes the twin, `ignore` keeps it, `map` maps the deleted record.
    deletes: Literal["propagate", "ignore", "map"] = "propagate"
    #: The first run: `sync` brings existing records across, `skip` passes them over (changes only).
    history: Literal["sync", "skip"] = "sync"
    #: Fields of the target's records that name the record the mapped payload belongs to (a shop's stock
    #: level is its SKU at a location): the twin is the one record whose fields equal the payload's.
    find_by: tuple[str, ...] = ()

    def side(self, side: Side) -> SideSpec:
        return self.left if side == "left" else self.right

    def sides(self) -> Iterator[tuple[Side, SideSpec]]:
        yield "left", self.left
        yield "right", self.right

    def flows_from(self, side: Side) -> bool:
        return self.direction == "both" or self.direction == f"{side}_to_{'right' if side == 'left' else 'left'}"


@dataclass(frozen=True, slots=True)
class Feed:
    """Records the engine reads into its inbox under `name` with no sync around them: a workflow's trigger.

    It has one side, `left`, so pollers and webhook receivers treat it as they treat a sync's side.
    """

    name: str
    left: SideSpec

    def side(self, side: Side) -> SideSpec:
        return self.left

    def sides(self) -> Iterator[tuple[Side, SideSpec]]:
        yield "left", self.left
