"""An in-memory system behind the connector contract, for unit tests of the engine only.

End-to-end tests use the real connectors against the sandboxes; this fake exists so the engine's
decisions can be tested one by one, with failures injected exactly where a test wants them.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from pydantic import BaseModel

from ferry.connectors.contract import EntitySchema, Health, WebhookSource
from ferry.core.errors import FerryError
from ferry.core.records import Page, Record, WriteKind, WriteOp, WriteResult
from ferry.engine.processor import Processor
from ferry.engine.store import SqliteStore

_NOW = [datetime(2026, 11, 22, 8, 0, tzinfo=UTC)]


def _tick() -> datetime:
    """One clock for every fake system, so "newer" means the same thing on both sides."""
    _NOW[0] += timedelta(seconds=1)
    return _NOW[0]


class FakeSystem:
    name: ClassVar[str] = "fake"
    Config: ClassVar[type[BaseModel]] = BaseModel
    webhooks: WebhookSource | None = None

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.rows: dict[str, dict[str, Any]] = {}
        self.versions: dict[str, int] = {}
        self.modified: dict[str, datetime] = {}
        self.deleted: set[str] = set()
        self.idempotency: dict[str, str] = {}
        self.writes: list[WriteOp] = []
        self.fail_next_write: list[FerryError] = []
        self.fail_next_call: list[FerryError] = []
        self.interleave = False  # let other records run inside every call, as a network round trip does
        #: Deleted records stay readable, flagged deleted (TIMS's soft delete), instead of vanishing.
        self.soft_deletes = False
        self._ids = itertools.count(1)
        self._version = itertools.count(100)

    # --- test helpers ---

    def put(self, data: dict[str, Any], record_id: str | None = None) -> str:
        """A change made by a person in this system."""
        record_id = record_id or f"{self.prefix}{next(self._ids)}"
        self.rows[record_id] = {**self.rows.get(record_id, {}), **data}
        self._bump(record_id)
        return record_id

    def _bump(self, record_id: str) -> None:
        self.versions[record_id] = next(self._version)
        self.modified[record_id] = _tick()

    def record(self, record_id: str) -> Record:
        return Record(
            "things",
            record_id,
            dict(self.rows[record_id]),
            str(self.versions[record_id]),
            self.modified[record_id],
            record_id in self.deleted,
        )

    async def _maybe_fail(self) -> None:
        if self.interleave:
            await asyncio.sleep(0.001)
        if self.fail_next_call:
            raise self.fail_next_call.pop(0)

    # --- the contract ---

    async def check(self) -> Health:
        return Health(True, "ok")

    async def describe(self) -> list[EntitySchema]:
        return []

    async def read(self, entity: str, cursor: str | None, *, page_size: int = 500) -> Page:
        since = int(cursor or 0)
        changed = sorted((v, k) for k, v in self.versions.items() if v > since)
        return Page([self.record(k) for _, k in changed], str(changed[-1][0]) if changed else cursor, False)

    async def get(self, entity: str, record_id: str) -> Record | None:
        await self._maybe_fail()
        if record_id not in self.rows or (record_id in self.deleted and not self.soft_deletes):
            return None
        return self.record(record_id)

    async def find(self, entity: str, match: Mapping[str, Any]) -> list[Record]:
        await self._maybe_fail()
        return [
            self.record(k)
            for k, row in self.rows.items()
            if k not in self.deleted and all(row.get(f) == v for f, v in match.items())
        ]

    async def write(self, ops: Sequence[WriteOp]) -> list[WriteResult]:
        await self._maybe_fail()
        results = []
        for op in ops:
            self.writes.append(op)
            if self.fail_next_write:
                results.append(WriteResult(False, error=self.fail_next_write.pop(0)))
                continue
            if op.kind is WriteKind.CREATE:
                existing = self.idempotency.get(op.idempotency_key or "")
                record_id = existing or f"{self.prefix}{next(self._ids)}"
                if existing is None:
                    self.rows[record_id] = dict(op.data)
                    self._bump(record_id)
                    if op.idempotency_key:
                        self.idempotency[op.idempotency_key] = record_id
                results.append(
                    WriteResult(
                        True,
                        record_id,
                        str(self.versions[record_id]),
                        created=existing is None,
                        record=self.record(record_id),
                    )
                )
            elif op.kind is WriteKind.DELETE:
                assert op.id is not None
                self.deleted.add(op.id)
                self._bump(op.id)
                results.append(WriteResult(True, op.id))
            else:
                assert op.id is not None
                self.rows[op.id].update(op.data)
                self._bump(op.id)
                results.append(WriteResult(True, op.id, str(self.versions[op.id]), record=self.record(op.id)))
        return results

    async def aclose(self) -> None:
        return None


class Rename:
    """A mapping that renames fields and copies the source id into a link field."""

    def __init__(self, name: str, fields: dict[str, str], link_to: str | None = None) -> None:
        self.name = name
        self.fields = fields
        self.link_to = link_to
        self.fields_read = frozenset(fields)
        self.fields_written = frozenset([*fields.values(), *([link_to] if link_to else [])])

    def skips(self, record: dict[str, Any], *, context: dict[str, Any] | None = None) -> bool:
        return False

    def skip_reason(self, record: dict[str, Any], *, context: dict[str, Any] | None = None) -> str:
        return "never skipped"

    def apply(
        self, record: dict[str, Any], *, context: dict[str, Any] | None = None, creating: bool = False
    ) -> dict[str, Any]:
        out = {dst: record.get(src) for src, dst in self.fields.items()}
        if self.link_to and context:
            out[self.link_to] = context["source_id"]
        return out


async def drain(store: SqliteStore, processor: Processor) -> list[str]:
    """Settle every due record with `processor`, as the workers would; return the outcomes in order."""
    outcomes = []
    while claims := await store.claim(worker="t", limit=10, lease_seconds=30):
        for claim in claims:
            outcomes.append(await processor.process(claim))
    return outcomes
