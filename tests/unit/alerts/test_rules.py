"""Each rule kind fires when its condition starts to hold, and resolves when it clears."""

from __future__ import annotations

from ferry.engine.breaker import CircuitBreaker
from ferry.engine.store import NewEvent, SqliteStore
from tests.unit.alerts.conftest import NOW, Clock, Recorder, alerting, end_run, evaluate, settle

HOUR, DAY = 3600.0, 86400.0


async def test_error_rate_fires_above_its_threshold_and_resolves_below(store: SqliteStore, clock: Clock) -> None:
    rec = Recorder()
    rule = {"name": "failing", "kind": "error_rate", "threshold": 0.2, "window": "15m", "min_processed": 5}
    a = alerting(store, [rule], rec)
    await settle(store, clock, NOW - 60, "customers", done=4, dead=2)
    await evaluate(a)
    [alert] = await store.alerts.firing()
    assert alert.message.startswith("customers: 2 of 6 changes failed in the last 15 min (33%")
    assert rec.events == [("firing", "customers")]
    assert rec.sent[0].url == "http://ferry.test:7070/flows/customers"

    await settle(store, clock, NOW - 30, "customers", done=20)
    await evaluate(a)
    assert await store.alerts.firing() == []
    assert rec.events == [("firing", "customers"), ("resolved", "customers")]
    assert "2 of 26" in rec.sent[1].message


async def test_error_rate_needs_enough_processed_to_judge(store: SqliteStore, clock: Clock) -> None:
    rec = Recorder()
    a = alerting(store, [{"name": "failing", "kind": "error_rate", "min_processed": 10}], rec)
    await settle(store, clock, NOW - 60, "customers", dead=3)  # 3 of 3 failed, but only 3
    await evaluate(a)
    assert rec.events == []


async def test_error_rate_of_a_workflow_counts_its_runs(store: SqliteStore, clock: Clock) -> None:
    rec = Recorder()
    rule = {"name": "runs-failing", "kind": "error_rate", "workflow": "order-to-cash", "min_processed": 2}
    a = alerting(store, [rule], rec, workflows=["order-to-cash"])
    for state in ("failed", "failed", "completed"):
        await end_run(store, clock, NOW - 60, "order-to-cash", state)
    await evaluate(a)
    [alert] = await store.alerts.firing()
    assert (alert.subject, alert.message.split(" in ")[0]) == ("order-to-cash", "order-to-cash: 2 of 3 runs failed")


async def test_lag_fires_while_the_oldest_change_waits_too_long(store: SqliteStore, clock: Clock) -> None:
    rec = Recorder()
    a = alerting(store, [{"name": "behind", "kind": "lag", "threshold": "5m", "sync": "customers"}], rec)
    clock.now = NOW - 600
    await store.enqueue([NewEvent("customers", "left", "a", version="1")])
    clock.now = NOW
    await evaluate(a)
    [alert] = await store.alerts.firing()
    assert alert.message == "customers: the oldest waiting change has waited 10 min (the rule allows 5 min)"

    [claim] = await store.claim(worker="w", limit=1, lease_seconds=60)
    await store.finish(claim, link=None, audit=())
    await evaluate(a)
    assert rec.events == [("firing", "customers"), ("resolved", "customers")]
    assert rec.sent[1].message == "customers: no change is waiting"


async def test_dead_letters_fire_with_a_link_to_them_and_resolve_when_handled(store: SqliteStore, clock: Clock) -> None:
    rec = Recorder()
    a = alerting(store, [{"name": "dead-letters", "kind": "dlq_size"}], rec, syncs=["customers", "products"])
    await settle(store, clock, NOW - 5, "customers", dead=1)
    await evaluate(a)
    [alert] = await store.alerts.firing()
    assert (alert.subject, alert.link) == ("customers", "/dead-letters?sync=customers")
    assert rec.sent[0].url == "http://ferry.test:7070/dead-letters?sync=customers"

    [letter] = await store.dead_letters()
    await store.resolve_dead_letter(letter.id, state="dropped", reason="a test record")
    await evaluate(a)
    assert rec.events == [("firing", "customers"), ("resolved", "customers")]


async def test_auth_failure_fires_while_the_connection_is_paused(store: SqliteStore) -> None:
    rec = Recorder()
    tims = CircuitBreaker()
    a = alerting(
        store, [{"name": "auth", "kind": "auth_failure"}], rec, breakers={"tims": tims, "d365": CircuitBreaker()}
    )
    await evaluate(a)
    assert rec.events == []

    tims.pause("TIMS refused the API key (401)")  # as the engine does on an AuthError
    await evaluate(a)
    [alert] = await store.alerts.firing()
    assert (alert.subject, alert.severity) == ("tims", "critical")
    assert "cannot authenticate (TIMS refused the API key (401))" in alert.message

    assert alert.link == "/admin"  # where an admin resumes the connection once its credentials are fixed

    tims.reset()
    await evaluate(a)
    assert rec.events == [("firing", "tims"), ("resolved", "tims")]

    tims.pause("paused by ada: TIMS maintenance tonight")  # a person's pause is no authentication failure
    await evaluate(a)
    assert len(rec.events) == 2


async def test_held_runs_fire_with_a_link_to_the_run(store: SqliteStore, clock: Clock) -> None:
    rec = Recorder()
    a = alerting(store, [{"name": "held", "kind": "held_runs"}], rec, workflows=["order-to-cash"])
    run_id = await end_run(store, clock, NOW - 5, "order-to-cash", "held")
    await evaluate(a)
    [alert] = await store.alerts.firing()
    assert alert.link == f"/runs/{run_id}"
    assert alert.message == "order-to-cash: 1 run held for a person to decide"

    assert await store.runs.cancel(run_id, "decided")
    await evaluate(a)
    assert rec.events == [("firing", "order-to-cash"), ("resolved", "order-to-cash")]


async def _history(store: SqliteStore, clock: Clock, days: int, *, done: int, dead: int) -> None:
    """The same hour of the day, on each of the past `days` days."""
    for day in range(1, days + 1):
        await settle(store, clock, NOW - day * DAY - HOUR / 2, "customers", done=done, dead=dead)


ANOMALY = {"name": "unusual", "kind": "anomaly", "window": "1h", "days": 7, "factor": 3, "min_count": 5}


async def test_anomaly_fires_when_failures_are_far_above_the_usual_level(store: SqliteStore, clock: Clock) -> None:
    rec = Recorder()
    a = alerting(store, [ANOMALY], rec)
    await _history(store, clock, 5, done=20, dead=2)
    await settle(store, clock, NOW - 600, "customers", done=20, dead=5)  # 2.5x the usual 2: not yet
    await evaluate(a)
    assert rec.events == []

    await settle(store, clock, NOW - 300, "customers", dead=2)  # 7 failures: 3.5x
    await evaluate(a)
    [alert] = await store.alerts.firing()
    # The oldest day's hour began before the flow had finished anything: it is no history, and not counted.
    assert alert.message == (
        "customers: 7 changes failed in the last hour, 3.5x the usual 2 (median of the same hour over 4 past days)"
    )
    clock.now = NOW + 2 * HOUR  # the bad hour has passed
    await evaluate(a)
    assert rec.events == [("firing", "customers"), ("resolved", "customers")]


async def test_anomaly_fires_when_throughput_falls_far_below_usual(store: SqliteStore, clock: Clock) -> None:
    rec = Recorder()
    a = alerting(store, [{**ANOMALY, "measure": "throughput"}], rec)
    await _history(store, clock, 4, done=100, dead=0)
    await settle(store, clock, NOW - 600, "customers", done=30)
    await evaluate(a)
    [alert] = await store.alerts.firing()
    assert "30 processed in the last hour, 0.3x the usual 100" in alert.message

    await settle(store, clock, NOW - 300, "customers", done=50)
    await evaluate(a)
    assert rec.events == [("firing", "customers"), ("resolved", "customers")]


async def test_anomaly_does_not_judge_without_enough_history(store: SqliteStore, clock: Clock) -> None:
    rec = Recorder()
    a = alerting(store, [ANOMALY], rec)
    await _history(store, clock, 2, done=20, dead=0)  # min_days is 3
    await settle(store, clock, NOW - 600, "customers", dead=50)
    await evaluate(a)
    assert rec.events == []
