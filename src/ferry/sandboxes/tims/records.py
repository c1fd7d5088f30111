"""Create, change and delete records as the API does: rules, then settlement, then one commit.

Used by the HTTP handlers, by `/_sandbox/generate` and by seeding, so all three obey the same rules.
Callers hold the sandbox lock.
"""

from __future__ import annotations

from datetime import datetime

from ferry.sandboxes.kit import Clock
from ferry.sandboxes.tims.ledger import settle
from ferry.sandboxes.tims.problems import Problem
from ferry.sandboxes.tims.rules import DERIVED, RULES
from ferry.sandboxes.tims.schema import INACTIVE, Collection
from ferry.sandboxes.tims.store import Change, Key, Record, Store, Tx


def etag(record: Record) -> str:
    return f'"{record["Version"]}"'


def check_if_match(record: Record, header: str | None) -> None:
    """412 unless `If-Match` is absent, `*`, or names the record's current version."""
    if header is None:
        return
    tags = [tag.strip() for tag in header.split(",")]
    current = etag(record)
    if "*" in tags or any(tag.removeprefix("W/") == current for tag in tags):
        return
    raise Problem(
        412,
        f"The record has changed since you read it: it is at version {record['Version']}, "
        f"and If-Match asked for {header}.",
        headers={"ETag": current},
        extra={"currentVersion": record["Version"]},
    )


class Records:
    """The write path over one `Store`."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def find(self, collection: Collection, key: Key) -> Record:
        record = self.store.table(collection.name).rows.get(key)
        if record is None:
            raise Problem(404, f"There is no {collection.name} record with {collection.id_field} {_show(key)}.")
        return record

    def create(self, collection: Collection, values: Record, *, at: datetime | None = None) -> tuple[Key, list[Change]]:
        tx = Tx(self.store, at or self.clock.now())
        key = tx.new_id(collection.name)
        after = {**values, collection.id_field: key}
        if after.get("Status") is None:
            after["Status"] = collection.statuses[0]
        # Staged first so the record's own event comes before those of the records it moves along.
        tx.stage(collection.name, key, after)
        RULES[collection.name](tx, key, None, after)
        settle(tx)
        return key, tx.commit()

    def update(
        self,
        collection: Collection,
        key: Key,
        values: Record,
        *,
        if_match: str | None = None,
        at: datetime | None = None,
    ) -> tuple[Record, list[Change]]:
        """PATCH (`values` holds the fields sent) and PUT (every writable field, defaults filled in)."""
        before = self.find(collection, key)
        check_if_match(before, if_match)
        after = {**before, **values}
        for name in ("Status", *DERIVED.get(collection.name, ())):
            if after[name] is None:
                after[name] = before[name]
        return self._apply(collection, key, before, after, at)

    def delete(
        self, collection: Collection, key: Key, *, if_match: str | None = None, at: datetime | None = None
    ) -> tuple[Record, list[Change]]:
        """Soft delete: the record stays, with `Status: "Inactive"`; deleting twice changes nothing."""
        before = self.find(collection, key)
        check_if_match(before, if_match)
        if before["Status"] == INACTIVE:
            return before, []
        return self._apply(collection, key, before, {**before, "Status": INACTIVE}, at)

    def _apply(
        self, collection: Collection, key: Key, before: Record, after: Record, at: datetime | None
    ) -> tuple[Record, list[Change]]:
        tx = Tx(self.store, at or self.clock.now())
        tx.stage(collection.name, key, after)
        RULES[collection.name](tx, key, before, after)
        settle(tx)
        changes = tx.commit()
        return self.store.table(collection.name).rows[key], changes


def _show(key: Key) -> str:
    return "/".join(key) if isinstance(key, tuple) else str(key)
