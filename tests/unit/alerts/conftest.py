"""A store on a clock the test moves, and ways to fill it with what rules look at."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from ferry.alerts import Alerting, Notice
from ferry.engine.breaker import CircuitBreaker
from ferry.engine.store import NewEvent, SqliteStore
from ferry.project.alerts import Alerts
from tests.unit.engine import test_sqlite_store as store_tests
from tests.unit.engine.test_sqlite_store import Clock

NOW = 1_800_000_000.0  # where the store tests' clock starts
_ids = itertools.count()
#: The store tests' fixtures: a store on a clock the test moves.
clock, store = store_tests.clock, store_tests.store


async def settle(store: SqliteStore, clock: Clock, at: float, sync: str, *, done: int = 0, dead: int = 0) -> None:
    """`done` changes of `sync` synced and `dead` dead-lettered, at time `at` (the clock is put back after)."""
    before, clock.now = clock.now, at
    try:
        records = [f"r{next(_ids)}" for _ in range(done + dead)]
        await store.enqueue([NewEvent(sync, "left", r, version="1") for r in records])
        claims = {c.record_id: c for c in await store.claim(worker="w", limit=len(records) + 1, lease_seconds=60)}
        for n, record in enumerate(records):
            if n < done:
                await store.finish(claims[record], link=None, audit=())
            else:
                await store.dead_letter(claims[record], error_class="ValidationError", error="refused", payload=None)
    finally:
        clock.now = before


async def end_run(store: SqliteStore, clock: Clock, at: float, workflow: str, state: str) -> int:
    """A run of `workflow` brought to `state` (held, failed, completed) at time `at`."""
    before, clock.now = clock.now, at
    try:
        run_id, _ = await store.runs.start(workflow, f"k{next(_ids)}", "t", None)
        [run] = [r for r in await store.runs.claim(worker="w", limit=100, lease_seconds=60) if r.id == run_id]
        await store.runs.advance(run, "w", state=state, reason="a person must decide")  # type: ignore[arg-type]
        return run_id
    finally:
        clock.now = before


@dataclass
class Recorder:
    """A channel that keeps what it is sent (and can be told to fail)."""

    name: str = "rec"
    sent: list[Notice] = field(default_factory=list)
    failures: int = 0

    async def send(self, notice: Notice) -> None:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("down")
        self.sent.append(notice)

    def secrets(self) -> Sequence[str]:
        return []

    @property
    def events(self) -> list[tuple[str, str]]:
        return [(n.event, n.subject) for n in self.sent]


def alerting(
    store: SqliteStore,
    rules: list[dict[str, object]],
    recorder: Recorder,
    *,
    syncs: Sequence[str] = ("customers",),
    workflows: Sequence[str] = (),
    breakers: dict[str, CircuitBreaker] | None = None,
) -> Alerting:
    spec = Alerts.model_validate({"channels": {"rec": {"type": "console"}}, "rules": rules})
    return Alerting(
        "demo",
        store,
        spec,
        {"rec": recorder},
        syncs=syncs,
        workflows=workflows,
        breakers=breakers or {},
        base_url="http://ferry.test:7070",
        backoff=0.01,
    )


async def evaluate(a: Alerting) -> None:
    """One evaluation, with the deliveries it started finished."""
    await a.evaluate()
    await a.flush()
