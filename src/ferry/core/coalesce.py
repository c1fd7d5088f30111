"""Many concurrent calls sent as one: the pattern behind batched writes, look-ups and reads.

Callers `submit` one item each under a key; the items that arrive within `window` seconds under the
same key (or until `max_items` have) go to `send(key, items)` together, which answers one result per
item, in order. A failure of `send` reaches every caller in it, as it would have reached each alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
I = TypeVar("I")  # noqa: E741 - item
R = TypeVar("R")


class Coalescer(Generic[K, I, R]):
    def __init__(self, send: Callable[[K, list[I]], Awaitable[Sequence[R]]], *, max_items: int, window: float) -> None:
        self._send_batch = send
        self.max_items = max_items
        self.window = window
        self._pending: dict[K, list[tuple[I, asyncio.Future[R]]]] = {}
        self._timers: dict[K, asyncio.TimerHandle] = {}
        #: How many batches went out (benchmarks and tests read it).
        self.sent = 0

    async def submit(self, key: K, item: I) -> R:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        waiting = self._pending.setdefault(key, [])
        waiting.append((item, future))
        if len(waiting) >= self.max_items:
            self._flush(key)
        elif key not in self._timers:
            self._timers[key] = loop.call_later(self.window, self._flush, key)
        return await future

    def _flush(self, key: K) -> None:
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()
        batch = self._pending.pop(key, None)
        if batch:
            asyncio.get_running_loop().create_task(self._send(key, batch))

    async def _send(self, key: K, batch: list[tuple[I, asyncio.Future[R]]]) -> None:
        self.sent += 1
        try:
            results = await self._send_batch(key, [item for item, _ in batch])
        except BaseException as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)
