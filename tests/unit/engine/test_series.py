"""Overview series: counts from settled events and finished runs, queue depth and lag from samples."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ferry.engine.store import NewEvent, SqliteStore
from ferry.engine.store.series import KEEP_SECONDS

T0 = 1_800_000_000.0  # a minute boundary


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def timed(tmp_path: Path) -> AsyncIterator[tuple[SqliteStore, Clock]]:
    clock = Clock()
    store = SqliteStore(tmp_path / "s.db", clock=clock)
    await store.open()
    yield store, clock
    await store.close()


async def settle(store: SqliteStore, record: str, *, fail: bool = False, sync: str = "customers") -> None:
    await store.enqueue([NewEvent(sync, "left", record, version="1")])
    [claim] = await store.claim(worker="w", limit=1, lease_seconds=30)
    if fail:
        await store.dead_letter(claim, error_class="ValidationError", error="bad", payload=None)
    else:
        await store.finish(claim, link=None, audit=[])


async def test_buckets_count_what_settled_and_failed_each_minute(timed: tuple[SqliteStore, Clock]) -> None:
    store, clock = timed
    clock.now = T0 + 5
    await settle(store, "a")
    await settle(store, "b", fail=True)
    clock.now = T0 + 65
    await settle(store, "c")
    clock.now = T0 + 120
    found = await store.series.overview("hour", {"vendors": "sync"})
    assert found.bucket_seconds == 60 and found.end == T0 + 180 and found.start == T0 + 180 - 3600
    flows = {f.flow: f for f in found.flows}
    assert set(flows) == {"customers", "vendors"}  # a declared flow shows while idle
    buckets = {b.start: b for b in flows["customers"].buckets}
    assert (buckets[T0].processed, buckets[T0].failed, buckets[T0].error_rate) == (2, 1, 0.5)
    assert (buckets[T0 + 60].processed, buckets[T0 + 60].failed) == (1, 0)
    assert buckets[T0 + 120].error_rate is None
    assert (flows["customers"].processed, flows["customers"].failed) == (3, 1)
    assert flows["vendors"].processed == 0 and len(flows["vendors"].buckets) == 60


async def test_samples_keep_queue_depth_lag_and_letters_and_are_pruned(timed: tuple[SqliteStore, Clock]) -> None:
    store, clock = timed
    await settle(store, "gone", fail=True)
    await store.enqueue([NewEvent("customers", "left", "waiting", version="1")])
    clock.now = T0 + 30
    [sample] = await store.series.sample(frozenset({"customers"}))
    assert (sample.pending, sample.in_flight, sample.lag_seconds, sample.dead_letters) == (1, 0, 30.0, 1)
    clock.now = T0 + 50
    await store.series.sample(frozenset({"customers"}))
    flow = (await store.series.overview("hour")).flows[0]
    bucket = next(b for b in flow.buckets if b.start == T0)
    assert (bucket.lag_seconds, bucket.pending) == (50.0, 1)  # the largest lag, the last depth
    assert flow.latest is not None and flow.latest.dead_letters == 1
    clock.now = T0 + KEEP_SECONDS + 100
    await store.series.sample(frozenset())
    week = await store.series.overview("week")
    assert week.bucket_seconds == 7200 and len(week.flows[0].buckets) == 84
    rows = await store._run(lambda c: c.execute("SELECT MIN(at) FROM samples").fetchone()[0])
    assert rows == T0 + KEEP_SECONDS + 100  # the samples older than eight days are gone


async def test_workflow_runs_count_as_their_flow_and_trigger_events_do_not(timed: tuple[SqliteStore, Clock]) -> None:
    store, clock = timed
    await settle(store, "order-1", sync="order-to-cash")  # the trigger event, settled into a run
    run_id, _ = await store.runs.start("order-to-cash", "order-1", "order-1", {"id": "order-1"})
    await store._run(
        lambda c: c.execute("UPDATE runs SET state='failed', finished_at=? WHERE id=?", (clock.now + 1, run_id))
    )
    flow = (await store.series.overview("day", {"order-to-cash": "workflow"})).flows[0]
    assert (flow.kind, flow.processed, flow.failed, flow.buckets[-1].error_rate) == ("workflow", 1, 1, 1.0)
    [undeclared] = (await store.series.overview("hour")).flows  # a flow the project no longer names
    assert (undeclared.kind, undeclared.processed) == ("workflow", 1)
    totals = await store.series.totals()
    assert totals["order-to-cash"]["runs_failed"] == 1 and totals["order-to-cash"]["events_done"] == 1
