"""Writes from many workers, sent to a system in batches.

Each worker settles one record and asks for one write; the batcher gathers the writes that arrive
within a few milliseconds (or until a batch is full) and sends them in one `write` call, which a
connector turns into one `$batch` (Dataverse) or a few concurrent requests (TIMS). A failure of the
whole call reaches every write in the batch, each of which is then retried on its own.
"""

from __future__ import annotations

from collections.abc import Sequence

from ferry.connectors.contract import Connector
from ferry.core.coalesce import Coalescer
from ferry.core.records import WriteOp, WriteResult


class WriteBatcher:
    def __init__(self, connector: Connector, *, max_batch: int = 100, window: float = 0.005) -> None:
        self.connector = connector
        self._writes: Coalescer[None, WriteOp, WriteResult] = Coalescer(self._send, max_items=max_batch, window=window)

    @property
    def calls(self) -> int:
        return self._writes.sent

    async def write(self, op: WriteOp) -> WriteResult:
        return await self._writes.submit(None, op)

    async def _send(self, _: None, ops: list[WriteOp]) -> Sequence[WriteResult]:
        return await self.connector.write(ops)
