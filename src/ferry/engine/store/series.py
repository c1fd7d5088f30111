"""Time series for the overview charts: what each flow settled, failed and how far behind it was.

Counts come from what the store keeps anyway (events' `finished_at` and state, runs' `finished_at`
and state), so the hot path writes nothing more. Queue depth and lag cannot be read back from the
past, so `sample()` (called once a minute by the runner) keeps them in `samples`, pruned after
`KEEP_SECONDS`. Chart queries run on a connection of their own in a thread, so neither the writer's
group commits nor the event loop wait on them.
"""

from __future__ import annotations

import asyncio
import math
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, TypeVar

if TYPE_CHECKING:
    from ferry.engine.store.sqlite import SqliteStore

T = TypeVar("T")
Window = Literal["hour", "day", "week"]
FlowKind = Literal["sync", "workflow"]
#: Each window's length and bucket width, in seconds.
WINDOWS: dict[str, tuple[int, int]] = {"hour": (3600, 60), "day": (86400, 900), "week": (7 * 86400, 7200)}
KEEP_SECONDS = 8 * 86400
#: Run states that count as failed in the charts (a compensated run failed, then undid its steps).
FAILED_RUNS = ("failed", "compensated")
OPEN_RUNS = ("pending", "running", "waiting", "held")


@dataclass(frozen=True, slots=True)
class Sample:
    flow: str
    pending: int
    in_flight: int
    lag_seconds: float
    dead_letters: int


@dataclass(slots=True)
class Bucket:
    start: float
    processed: int = 0
    failed: int = 0
    #: The largest lag and the last queue depth sampled in the bucket (None: no sample there).
    lag_seconds: float | None = None
    pending: int | None = None

    @property
    def error_rate(self) -> float | None:
        return self.failed / self.processed if self.processed else None


@dataclass(slots=True)
class FlowSeries:
    flow: str
    kind: FlowKind
    buckets: list[Bucket]
    #: The newest sample of the flow (None before the first one).
    latest: Sample | None = None
    processed: int = field(init=False, default=0)
    failed: int = field(init=False, default=0)

    def total(self) -> None:
        self.processed = sum(b.processed for b in self.buckets)
        self.failed = sum(b.failed for b in self.buckets)


@dataclass(frozen=True, slots=True)
class Overview:
    window: str
    bucket_seconds: int
    start: float
    end: float
    flows: list[FlowSeries]


class SeriesStore:
    """Samples and chart series of one store (`store.series`)."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    # --- sampling -------------------------------------------------------------------------------

    async def sample(self, flows: frozenset[str] = frozenset()) -> list[Sample]:
        """Record each flow's pending and in-flight work, lag and open dead letters now; prune old ones.

        Every flow in `flows` (the project's) gets a sample, idle or not; others only with work or letters.
        """
        now = self._store.clock()

        def work(c: sqlite3.Connection) -> list[Sample]:
            samples = _take_samples(c, now, flows)
            c.executemany(
                "INSERT OR REPLACE INTO samples(flow, at, pending, in_flight, lag_seconds, dead_letters)"
                " VALUES (?,?,?,?,?,?)",
                [(s.flow, now, s.pending, s.in_flight, s.lag_seconds, s.dead_letters) for s in samples],
            )
            c.execute("DELETE FROM samples WHERE at < ?", (now - KEEP_SECONDS,))
            return samples

        return await self._store._run(work)

    # --- reading --------------------------------------------------------------------------------

    async def overview(self, window: Window, flows: dict[str, FlowKind] | None = None) -> Overview:
        """Buckets of the last `window` for every flow that is declared (`flows`) or has data in it."""
        length, width = WINDOWS[window]
        end = math.floor(self._store.clock() / width) * width + width
        start = end - length
        return await self._query(lambda c: _overview(c, window, start, end, width, dict(flows or {})))

    async def totals(self) -> dict[str, dict[str, int]]:
        """Per flow, events settled by final state (`done`, `dead`) and runs by state, since the start."""

        def work(c: sqlite3.Connection) -> dict[str, dict[str, int]]:
            found: dict[str, dict[str, int]] = {}
            for sync, state, n in c.execute(
                "SELECT sync, state, COUNT(*) FROM events INDEXED BY events_finished"
                " WHERE finished_at IS NOT NULL GROUP BY sync, state"
            ):
                found.setdefault(sync, {})[f"events_{state}"] = n
            for workflow, state, n in c.execute("SELECT workflow, state, COUNT(*) FROM runs GROUP BY workflow, state"):
                found.setdefault(workflow, {})[f"runs_{state}"] = n
            for sync, state, n in c.execute("SELECT sync, state, COUNT(*) FROM dead_letters GROUP BY sync, state"):
                found.setdefault(sync, {})[f"dead_letters_{state}"] = n
            for sync, n in c.execute("SELECT sync, COUNT(*) FROM reviews WHERE state='open' GROUP BY sync"):
                found.setdefault(sync, {})["reviews_open"] = n
            return found

        return await self._query(work)

    async def current(self, flows: frozenset[str] = frozenset()) -> list[Sample]:
        """Each flow's queue depth, lag and open dead letters now (what `sample` would record)."""
        now = self._store.clock()
        return await self._query(lambda c: _take_samples(c, now, flows))

    async def _query(self, work: Callable[[sqlite3.Connection], T]) -> T:
        def run() -> T:
            with self._lock:  # one query at a time on this connection
                if self._conn is None:
                    self._conn = sqlite3.connect(self._store.path, isolation_level=None, check_same_thread=False)
                    self._conn.execute("PRAGMA query_only=ON")
                return work(self._conn)

        return await asyncio.to_thread(run)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def _take_samples(c: sqlite3.Connection, now: float, flows: frozenset[str]) -> list[Sample]:
    depth: dict[str, list[float]] = {}  # flow -> [pending, in flight, oldest waiting since]

    def entry(flow: str) -> list[float]:
        return depth.setdefault(flow, [0, 0, now])

    for flow, state, n, oldest in c.execute(
        "SELECT sync, state, COUNT(*), MIN(received_at) FROM events WHERE state IN ('pending', 'claimed')"
        " GROUP BY sync, state"
    ):
        e = entry(flow)
        e[0 if state == "pending" else 1] += n
        e[2] = min(e[2], oldest)
    for flow, state, n, due in c.execute(
        "SELECT workflow, state, COUNT(*), MIN(due_at) FROM runs WHERE state IN (?,?,?,?) GROUP BY workflow, state",
        OPEN_RUNS,
    ):
        e = entry(flow)
        e[1 if state == "running" else 0] += n
        if state == "pending":  # a run due and not yet taken is behind; a waiting one waits on purpose
            e[2] = min(e[2], due)
    dead = dict(c.execute("SELECT sync, COUNT(*) FROM dead_letters WHERE state='open' GROUP BY sync").fetchall())
    for flow in [*dead, *flows]:
        entry(flow)
    return [
        Sample(flow, int(p), int(f), round(max(0.0, now - oldest), 3), int(dead.get(flow, 0)))
        for flow, (p, f, oldest) in sorted(depth.items())
    ]


def _overview(
    c: sqlite3.Connection, window: str, start: float, end: float, width: int, flows: dict[str, FlowKind]
) -> Overview:
    count = (end - start) // width
    kinds: dict[str, FlowKind] = dict(flows)

    def kind_of(flow: str) -> FlowKind:
        """Declared, else a workflow if it has runs (a flow the project no longer names)."""
        if flow not in kinds:
            has_runs = c.execute("SELECT 1 FROM runs WHERE workflow=? LIMIT 1", (flow,)).fetchone()
            kinds[flow] = "workflow" if has_runs else "sync"
        return kinds[flow]

    series: dict[str, FlowSeries] = {}

    def of(flow: str) -> FlowSeries:
        if flow not in series:
            series[flow] = FlowSeries(flow, kind_of(flow), [Bucket(start + i * width) for i in range(int(count))])
        return series[flow]

    for flow in flows:
        of(flow)
    slot = "MIN(CAST((finished_at - ?) / ? AS INTEGER), ?)"
    for flow, b, state, n in c.execute(
        f"SELECT sync, {slot} AS b, state, COUNT(*) FROM events INDEXED BY events_finished"
        " WHERE finished_at >= ? AND finished_at < ? GROUP BY sync, b, state",
        (start, width, count - 1, start, end),
    ):
        if kind_of(flow) == "workflow":
            continue  # a workflow's trigger events are counted as its runs
        bucket = of(flow).buckets[b]
        bucket.processed += n
        bucket.failed += n if state == "dead" else 0
    for flow, b, state, n in c.execute(
        f"SELECT workflow, {slot} AS b, state, COUNT(*) FROM runs INDEXED BY runs_finished"
        " WHERE finished_at >= ? AND finished_at < ? GROUP BY workflow, b, state",
        (start, width, count - 1, start, end),
    ):
        bucket = of(flow).buckets[b]
        bucket.processed += n
        bucket.failed += n if state in FAILED_RUNS else 0
    for flow, at, pending, in_flight, lag, dead in c.execute(
        "SELECT flow, at, pending, in_flight, lag_seconds, dead_letters FROM samples WHERE at >= ? AND at < ?"
        " ORDER BY at",
        (start, end),
    ):
        s = of(flow)
        bucket = s.buckets[min(int((at - start) // width), int(count) - 1)]
        bucket.lag_seconds = lag if bucket.lag_seconds is None else max(bucket.lag_seconds, lag)
        bucket.pending = pending
        s.latest = Sample(flow, pending, in_flight, lag, dead)
    for s in series.values():
        s.total()
    return Overview(window, width, start, end, [series[f] for f in sorted(series)])
