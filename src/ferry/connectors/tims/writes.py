"""Writes to TIMS: one request per op (TIMS has no batch endpoint), a few at a time.

Creates carry an `Idempotency-Key` (the op's own, or one derived from its content), so a create
retried after a crash returns the record the first attempt made. TIMS has no upsert: an upsert
looks the record up by its key (deleted records included, since `ExternalID` stays taken) and
PATCHes it, or POSTs it with an idempotency key. Two upserts racing for the same key both POST;
TIMS keeps `ExternalID` unique, so the loser gets 409 (or, with the same body, the winner's answer
replayed), looks again and PATCHes. Record-level refusals become failed results; failures of the
connection (auth, rate limit, outage) stop the batch and are raised, and the engine retries it, which
the idempotency above makes safe.

Inventory rows are read-only in TIMS: stock changes only through adjustments (and shipments). So a
write of `OnHand` to an `inventory` row posts the `inventory-adjustments` record that takes the row
from what it holds now to the quantity written: an adjustment, never an overwrite. A create of a row
(every item has one per warehouse already) adjusts the existing one. The write is refused as a conflict
when the row changed since the version the engine read, and the adjustment's idempotency key is made
from that version and the quantity, so a retry never adjusts twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from ferry.connectors.tims.client import TimsClient, Written
from ferry.connectors.tims.entities import record_id, to_record
from ferry.connectors.tims.errors import is_record_level
from ferry.core.errors import ConflictError, FerryError, NotFoundError, ValidationError
from ferry.core.records import WriteKind, WriteOp, WriteResult


def idempotency_key(op: WriteOp) -> str:
    """The op's own key, or one derived from what it writes: the same op always gets the same key.

    Two different creates with identical content within TIMS's 24 hours would share a derived key and
    make one record; an engine that means two records passes its own keys.
    """
    if op.idempotency_key:
        return op.idempotency_key
    content = [op.kind.value, op.entity, op.key, op.data]
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, default=str, separators=(",", ":")).encode())
    return f"ferry-{digest.hexdigest()[:48]}"


class TimsWriter:
    def __init__(self, client: TimsClient, *, concurrency: int = 4) -> None:
        self.client = client
        self.concurrency = concurrency

    async def write(self, ops: Sequence[WriteOp]) -> list[WriteResult]:
        """One result per op, in order; raise the first connection-level failure after in-flight ops end."""
        slots = asyncio.Semaphore(self.concurrency)
        stop: list[FerryError] = []

        async def run(op: WriteOp) -> WriteResult | None:
            async with slots:
                if stop:
                    return None  # the connection failed: leave the rest for the engine's retry
                try:
                    return await self.apply(op)
                except FerryError as exc:
                    if is_record_level(exc):
                        exc.context.setdefault("entity", op.entity)
                        if op.id is not None:
                            exc.context.setdefault("record_id", op.id)
                        if op.key:
                            exc.context.setdefault("key", dict(op.key))
                        return WriteResult(ok=False, id=op.id, error=exc)
                    stop.append(exc)
                    return None

        # Every op runs to its end before anything is raised, so no request is left in flight.
        outcomes = await asyncio.gather(*(run(op) for op in ops), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        if stop:
            raise stop[0]
        return [r for r in outcomes if isinstance(r, WriteResult)]

    async def apply(self, op: WriteOp) -> WriteResult:
        if op.entity == "inventory" and op.kind is not WriteKind.DELETE:
            return await self._adjust(op)
        if op.kind is WriteKind.CREATE:
            return await self._create(op)
        if op.kind is WriteKind.UPDATE:
            target = await self._target(op)
            return _result(op.entity, await self.client.update(op.entity, target, op.data, if_match=op.if_match))
        if op.kind is WriteKind.UPSERT:
            return await self._upsert(op)
        target = await self._target(op)
        version = await self.client.delete(op.entity, target, if_match=op.if_match)
        return WriteResult(ok=True, id=target, version=version)

    async def _adjust(self, op: WriteOp) -> WriteResult:
        """Bring an inventory row's `OnHand` to the quantity written, by posting an adjustment."""
        data = {**(op.key or {}), **op.data}
        row_id = op.id or f"{data.get('SKU')}/{data.get('Warehouse')}"
        if op.id is None and (not data.get("SKU") or not data.get("Warehouse")):
            raise ValidationError("An inventory row is named by SKU and Warehouse; give both.", entity="inventory")
        current = await self.client.get("inventory", row_id)
        if current is None:
            sku, _, warehouse = row_id.partition("/")
            raise NotFoundError(
                f"TIMS has no inventory of SKU {sku!r} in warehouse {warehouse!r} (an unknown item or warehouse).",
                entity="inventory",
            )
        if op.if_match is not None and current.version is not None and current.version != op.if_match:
            raise ConflictError(
                f"The stock of {row_id} changed in TIMS (now version {current.version}, read {op.if_match}).",
                entity="inventory",
            )
        wanted = data.get("OnHand")
        if wanted is None:
            return _result("inventory", current, created=op.kind is WriteKind.CREATE)
        if isinstance(wanted, bool) or not isinstance(wanted, int):
            raise ValidationError(f"OnHand must be a whole number, not {wanted!r}.", entity="inventory")
        delta = wanted - int(current.row["OnHand"])
        if delta == 0:
            return _result("inventory", current, created=op.kind is WriteKind.CREATE)
        sku, warehouse = current.row["SKU"], current.row["Warehouse"]
        reason = f"On-hand count {wanted} synced by ferry (was {current.row['OnHand']})"
        key = op.idempotency_key or "ferry-adjust"
        digest = hashlib.sha256(f"{key}|{row_id}|{current.version}|{wanted}".encode()).hexdigest()[:40]
        body = {"SKU": sku, "Warehouse": warehouse, "QuantityDelta": delta, "Reason": reason}
        await self.client.create("inventory-adjustments", body, idempotency_key=f"ferry-adjust-{digest}")
        after = await self.client.get("inventory", row_id)
        if after is None:
            raise NotFoundError(f"TIMS lost the inventory row {row_id} after adjusting it.", entity="inventory")
        return _result("inventory", after, created=op.kind is WriteKind.CREATE)

    async def _create(self, op: WriteOp) -> WriteResult:
        body = {**(op.key or {}), **op.data}
        written = await self.client.create(op.entity, body, idempotency_key=idempotency_key(op))
        return _result(op.entity, written, created=True)

    async def _upsert(self, op: WriteOp) -> WriteResult:
        if op.id is not None:
            try:
                return _result(op.entity, await self.client.update(op.entity, op.id, op.data, if_match=op.if_match))
            except NotFoundError:
                if not op.key:
                    raise
        if not op.key:
            raise ValidationError(f"An upsert to TIMS {op.entity} needs a key (such as ExternalID) or an id.")
        found = await self.lookup(op.entity, op.key)
        if found is None:
            try:
                return await self._create(op)
            except (ConflictError, ValidationError) as exc:
                # Someone created it between our look and our POST (409 duplicate), or an earlier
                # attempt used this idempotency key with other content (422): it exists now.
                if exc.context.get("problem") not in ("duplicate", "idempotency-key-reuse"):
                    raise
                found = await self.lookup(op.entity, op.key)
                if found is None:
                    raise
        return _result(op.entity, await self.client.update(op.entity, found, op.data, if_match=op.if_match))

    async def _target(self, op: WriteOp) -> str:
        if op.id is not None:
            return op.id
        if not op.key:
            raise ValidationError(f"A {op.kind.value} of TIMS {op.entity} needs an id or a key.")
        found = await self.lookup(op.entity, op.key)
        if found is None:
            raise NotFoundError(f"No TIMS {op.entity} record has {_show(op.key)}.", entity=op.entity)
        return found

    async def lookup(self, entity: str, key: Mapping[str, Any]) -> str | None:
        """The id of the one record (deleted ones included) whose fields equal `key`."""
        if any(value in (None, "") for value in key.values()):
            raise ValidationError(f"The key {_show(key)} has an empty value; TIMS would match every unlinked record.")
        listed = await self.client.list_page(entity, filters=key, include_inactive=True, page_size=2)
        if len(listed.rows) > 1:
            raise ConflictError(f"More than one TIMS {entity} record has {_show(key)}.", entity=entity)
        return record_id(entity, listed.rows[0]) if listed.rows else None


def _result(entity: str, written: Written, *, created: bool = False) -> WriteResult:
    record = to_record(entity, written.row)
    return WriteResult(ok=True, id=record.id, version=written.version, created=created, record=record)


def _show(key: Mapping[str, Any]) -> str:
    return ", ".join(f"{name}={value!r}" for name, value in key.items())
