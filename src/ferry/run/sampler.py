"""The overview charts' sampler: once a minute, each flow's queue depth, lag and open dead letters."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from ferry.engine.store.sqlite import SqliteStore

log = logging.getLogger("ferry.run")
INTERVAL_SECONDS = 60.0


async def sample_every(
    store: SqliteStore, stopping: asyncio.Event, *, flows: frozenset[str], interval: float = INTERVAL_SECONDS
) -> None:
    """Record a sample of the project's `flows` now and every `interval` seconds until `stopping` is set."""
    while not stopping.is_set():
        try:
            await store.series.sample(flows)
        except Exception:  # a sample missed leaves a gap in a chart, never stops the engine
            log.exception("could not record the overview sample")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), timeout=interval)
