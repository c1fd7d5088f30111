"""The shop's state: tables of REST documents with indexes, inventory quantities, subscriptions.

Resources are kept as the JSON documents the API returns (`Record.doc`), with their times as aware
datetimes beside them for filtering and sorting. Ids come from per-kind mints that only count up,
so insertion order is id order, as `since_id` and cursor paging assume.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ferry.sandboxes.kit import Clock
from ferry.sandboxes.storefront.errors import not_found
from ferry.sandboxes.storefront.formats import timestamp

# Magnitudes like a live shop's: 13-14 digit ids, well inside a signed 64-bit integer.
_ID_BASES: dict[str, tuple[int, int]] = {
    "shop": (60_012_000_000, 1),
    "location": (71_004_000_000, 9_000_000),
    "customer": (7_120_000_000_000, 4_000_000),
    "customer_address": (9_160_000_000_000, 4_000_000),
    "product": (8_930_000_000_000, 3_000_000),
    "variant": (45_180_000_000_000, 2_000_000),
    "product_option": (10_870_000_000_000, 2_000_000),
    "inventory_item": (47_310_000_000_000, 2_000_000),
    "order": (5_910_000_000_000, 30_000_000),
    "line_item": (14_820_000_000_000, 4_000_000),
    "fulfillment_order": (7_050_000_000_000, 30_000_000),
    "fulfillment_order_line_item": (15_230_000_000_000, 4_000_000),
    "fulfillment": (5_420_000_000_000, 30_000_000),
    "transaction": (7_260_000_000_000, 30_000_000),
    "webhook": (1_380_000_000_000, 700_000),
}


class IdMint:
    """Deterministic, strictly increasing ids for one kind of record."""

    def __init__(self, seed: int, kind: str) -> None:
        base, step = _ID_BASES[kind]
        self._random = random.Random(f"{seed}:{kind}")
        self._last = base + self._random.randrange(1_000_000)
        self._step = step

    def __call__(self) -> int:
        self._last += self._random.randrange(max(1, self._step // 2), self._step * 3 // 2 + 1)
        return self._last


@dataclass(slots=True)
class Record:
    """One REST resource: its document plus the times used to filter and sort it."""

    id: int
    created: datetime
    updated: datetime
    doc: dict[str, Any]


class Table:
    """Records of one kind by id, in id order."""

    def __init__(self) -> None:
        self.rows: dict[int, Record] = {}

    def add(self, record: Record) -> Record:
        self.rows[record.id] = record
        return record

    def get(self, ident: int) -> Record | None:
        return self.rows.get(ident)

    def require(self, ident: int) -> Record:
        record = self.rows.get(ident)
        if record is None:
            raise not_found()
        return record

    def remove(self, ident: int) -> None:
        self.rows.pop(ident, None)

    def __iter__(self) -> Iterator[Record]:
        return iter(list(self.rows.values()))

    def __len__(self) -> int:
        return len(self.rows)


@dataclass(slots=True)
class Level:
    """Quantities of one inventory item at one location; REST shows only `available`."""

    inventory_item_id: int
    location_id: int
    on_hand: int
    committed: int
    updated: datetime
    #: Creation order, which is the order lists come in.
    seq: int = 0

    @property
    def available(self) -> int:
        return self.on_hand - self.committed


@dataclass(slots=True)
class Subscription:
    """A webhook subscription made through the Admin API."""

    id: int
    address: str
    topic: str
    format: str
    fields: list[str]
    api_version: str
    created: datetime
    updated: datetime


@dataclass(slots=True)
class Commitment:
    """Inventory an order line claimed at checkout and has not yet shipped."""

    inventory_item_id: int
    location_id: int
    quantity: int


@dataclass
class Store:
    """Everything the shop holds; every read and write happens under the sandbox lock."""

    seed: int
    clock: Clock
    shop: dict[str, Any] = field(default_factory=dict)
    locations: Table = field(default_factory=Table)
    customers: Table = field(default_factory=Table)
    products: Table = field(default_factory=Table)
    orders: Table = field(default_factory=Table)
    fulfillment_orders: Table = field(default_factory=Table)
    fulfillments: Table = field(default_factory=Table)
    levels: dict[tuple[int, int], Level] = field(default_factory=dict)
    subscriptions: dict[int, Subscription] = field(default_factory=dict)
    #: variant id -> (product id, variant document)
    variants: dict[int, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    #: inventory item id -> variant id
    inventory_items: dict[int, int] = field(default_factory=dict)
    #: lower-cased email -> customer id (Shopify keeps emails unique per shop)
    emails: dict[str, int] = field(default_factory=dict)
    #: order line item id -> inventory claimed and not yet shipped
    commitments: dict[int, Commitment] = field(default_factory=dict)
    next_order_number: int = 1001
    mints: dict[str, IdMint] = field(default_factory=dict)
    #: Draws for tokens and generated activity; seeded, so a run can be replayed.
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self.rng.seed(f"{self.seed}:activity")

    def token(self) -> str:
        """32 hex digits, like an order's `token` or `checkout_token`."""
        return f"{self.rng.getrandbits(128):032x}"

    def new_id(self, kind: str) -> int:
        mint = self.mints.get(kind)
        if mint is None:
            mint = self.mints[kind] = IdMint(self.seed, kind)
        return mint()

    def now(self) -> datetime:
        # Shopify times have whole seconds; keeping stored times whole keeps filters exact.
        return self.clock.now().replace(microsecond=0)

    def variant(self, variant_id: int) -> tuple[Record, dict[str, Any]] | None:
        entry = self.variants.get(variant_id)
        if entry is None:
            return None
        product = self.products.get(entry[0])
        return None if product is None else (product, entry[1])

    def level(self, inventory_item_id: int, location_id: int) -> Level | None:
        return self.levels.get((inventory_item_id, location_id))

    def connect(self, inventory_item_id: int, location_id: int, on_hand: int = 0) -> Level:
        """The level for that item and location, stocking the item there first if need be."""
        level = self.levels.get((inventory_item_id, location_id))
        if level is None:
            level = Level(inventory_item_id, location_id, on_hand, 0, self.now(), seq=len(self.levels) + 1)
            self.levels[(inventory_item_id, location_id)] = level
            self.refresh_variant_quantity(inventory_item_id)
        return level

    def available_total(self, inventory_item_id: int) -> int:
        return sum(lv.available for (item, _), lv in self.levels.items() if item == inventory_item_id)

    def refresh_variant_quantity(self, inventory_item_id: int) -> None:
        """Keep a variant's `inventory_quantity` equal to what its levels say is available."""
        variant_id = self.inventory_items.get(inventory_item_id)
        entry = self.variants.get(variant_id) if variant_id is not None else None
        if entry is not None:
            quantity = self.available_total(inventory_item_id)
            entry[1]["old_inventory_quantity"] = entry[1].get("inventory_quantity", quantity)
            entry[1]["inventory_quantity"] = quantity


def touch(record: Record, moment: datetime) -> None:
    """Mark a record changed at `moment` (its `updated_at` moves; `updated_at_min` then finds it)."""
    record.updated = moment
    record.doc["updated_at"] = timestamp(moment)
