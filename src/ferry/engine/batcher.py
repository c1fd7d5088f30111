"""Writes from many workers, sent to a system in batches.

Each worker settles one record and asks for one write; the batcher gathers the writes that arrive
within a few milliseconds (or until a batch is full) and sends them in one `write` call, which a
connector turns into one `$batch` (Dataverse) or a few concurrent requests (TIMS). A failure of the
whole call reaches every write in the batch, each of which is then retried on its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from ferry.connectors.contract import Connector
from ferry.core.records import WriteOp, WriteResult


class WriteBatcher:
    def __init__(self, connector: Connector, *, max_batch: int = 100, window: float = 0.005) -> None:
        self.connector = connector
        self.max_batch = max_batch
        self.window = window
        self._pending: list[tuple[WriteOp, asyncio.Future[WriteResult]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self.calls = 0

    async def write(self, op: WriteOp) -> WriteResult:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[WriteResult] = loop.create_future()
        self._pending.append((op, future))
        if len(self._pending) >= self.max_batch:
            self._flush()
        elif self._timer is None:
            self._timer = loop.call_later(self.window, self._flush)
        return await future

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
        if self._pending:
            self._timer = asyncio.get_running_loop().call_soon(self._flush)  # type: ignore[assignment]
        if batch:
            asyncio.get_running_loop().create_task(self._send(batch))

    async def _send(self, batch: Sequence[tuple[WriteOp, asyncio.Future[WriteResult]]]) -> None:
        self.calls += 1
        try:
            results = await self.connector.write([op for op, _ in batch])
        except BaseException as exc:  # the whole call failed: every write in it learns why
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)
