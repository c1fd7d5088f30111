"""The life of an alert: notified once when it fires, again only every `repeat`, and when it resolves;
kept across a restart; each delivery's outcome recorded, failures retried and never raised."""

from __future__ import annotations

from ferry.engine.store import SqliteStore
from tests.unit.alerts.conftest import NOW, Clock, Recorder, alerting, evaluate, settle

DEAD_LETTERS = {"name": "dead-letters", "kind": "dlq_size"}


async def test_a_firing_alert_is_notified_once_then_every_repeat(store: SqliteStore, clock: Clock) -> None:
    rec = Recorder()
    a = alerting(store, [{**DEAD_LETTERS, "repeat": "1h"}], rec)
    await settle(store, clock, NOW, "customers", dead=1)
    await evaluate(a)
    clock.now = NOW + 600
    await settle(store, clock, clock.now, "customers", dead=1)
    await evaluate(a)
    assert rec.events == [("firing", "customers")]
    [alert] = await store.alerts.firing()
    assert alert.message.startswith("customers: 2 records")  # kept current while it fires

    clock.now = NOW + 3601
    await evaluate(a)
    assert rec.events == [("firing", "customers"), ("repeat", "customers")]
    clock.now = NOW + 3700
    await evaluate(a)
    assert len(rec.sent) == 2


async def test_a_restart_neither_forgets_nor_notifies_again(store: SqliteStore, clock: Clock) -> None:
    rec = Recorder()
    await settle(store, clock, NOW, "customers", dead=1)
    await evaluate(alerting(store, [DEAD_LETTERS], rec))
    again = alerting(store, [DEAD_LETTERS], rec)  # a new process on the same store
    await evaluate(again)
    assert rec.events == [("firing", "customers")]
    assert len(await store.alerts.list(state=None)) == 1


async def test_the_next_time_a_condition_holds_is_a_new_alert(store: SqliteStore, clock: Clock) -> None:
    rec = Recorder()
    a = alerting(store, [DEAD_LETTERS], rec)
    for _ in range(2):
        await settle(store, clock, NOW, "customers", dead=1)
        await evaluate(a)
        for letter in await store.dead_letters():
            await store.resolve_dead_letter(letter.id, state="dropped", reason="test")
        await evaluate(a)
    resolved = await store.alerts.list(state="resolved")
    assert len(resolved) == 2 and resolved[0].id != resolved[1].id
    assert [e for e, _ in rec.events] == ["firing", "resolved", "firing", "resolved"]


async def test_deliveries_are_retried_and_their_outcome_kept(store: SqliteStore, clock: Clock) -> None:
    flaky = Recorder(failures=1)
    a = alerting(store, [DEAD_LETTERS], flaky)
    await settle(store, clock, NOW, "customers", dead=1)
    await evaluate(a)
    [alert] = await store.alerts.list()
    [delivery] = (await store.alerts.get(alert.id) or alert).deliveries
    assert (delivery.channel, delivery.event, delivery.outcome, delivery.attempts) == ("rec", "firing", "delivered", 2)


async def test_a_channel_that_keeps_failing_is_recorded_and_changes_nothing_else(
    store: SqliteStore, clock: Clock
) -> None:
    down = Recorder(failures=99)
    a = alerting(store, [DEAD_LETTERS], down)
    await settle(store, clock, NOW, "customers", dead=1)
    await evaluate(a)  # does not raise
    [alert] = await store.alerts.list()
    assert alert.state == "firing"
    [delivery] = alert.deliveries
    assert (delivery.outcome, delivery.attempts, delivery.error) == ("failed", 3, "RuntimeError")


async def test_rules_send_only_to_the_channels_they_name(store: SqliteStore, clock: Clock) -> None:
    rec = Recorder()
    a = alerting(store, [{**DEAD_LETTERS, "channels": ["elsewhere"]}], rec)
    await settle(store, clock, NOW, "customers", dead=1)
    await evaluate(a)
    assert rec.sent == []
    assert len(await store.alerts.firing()) == 1  # kept all the same


async def test_an_alert_whose_rule_left_the_project_is_resolved_quietly(store: SqliteStore, clock: Clock) -> None:
    rec = Recorder()
    await settle(store, clock, NOW, "customers", dead=1)
    await evaluate(alerting(store, [DEAD_LETTERS], rec))
    await evaluate(alerting(store, [{"name": "auth", "kind": "auth_failure"}], rec))
    assert await store.alerts.firing() == []
    [alert] = await store.alerts.list(state="resolved")
    assert alert.message.endswith("(no longer watched)")
    assert rec.events == [("firing", "customers")]


async def test_acknowledging_keeps_who_and_when(store: SqliteStore, clock: Clock) -> None:
    await settle(store, clock, NOW, "customers", dead=1)
    await evaluate(alerting(store, [DEAD_LETTERS], Recorder()))
    [alert] = await store.alerts.firing()
    clock.now = NOW + 60
    acked = await store.alerts.acknowledge(alert.id, "ada")
    assert acked is not None and acked.acknowledged_by == "ada"
    assert acked.acknowledged_at is not None and acked.acknowledged_at.timestamp() == NOW + 60
    assert await store.alerts.acknowledge(9999, "ada") is None


async def test_an_alert_outside_its_rules_new_scope_is_resolved_quietly(store: SqliteStore, clock: Clock) -> None:
    rec = Recorder()
    await settle(store, clock, NOW, "customers", dead=1)
    await evaluate(alerting(store, [DEAD_LETTERS], rec, syncs=["customers", "products"]))
    narrowed = {**DEAD_LETTERS, "sync": "products"}
    await evaluate(alerting(store, [narrowed], rec, syncs=["customers", "products"]))
    assert await store.alerts.firing() == []
    assert rec.events == [("firing", "customers")]
