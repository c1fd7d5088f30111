"""A record's lineage: its events, writes, dead letters, reviews and runs in one timeline, and its twin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ferry.engine.edits import Edit
from ferry.engine.lineage import lineage
from ferry.engine.searchterms import IndexEntry, index_entry
from ferry.engine.store import AuditEntry, Link, NewEvent, SqliteStore
from ferry.engine.store.base import StepRecord
from ferry.engine.store.edits import queue_event


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        self.now += 1  # every store call a second later, so the timeline's order is the calls' order
        return self.now


async def open_store(tmp_path: Path) -> SqliteStore:
    store = SqliteStore(tmp_path / "s.db", clock=Clock())
    await store.open()
    return store


def entries(account: str, customer: str, name: str) -> list[IndexEntry]:
    return [
        index_entry(
            "customers",
            "left",
            account,
            connection="d365",
            entity="accounts",
            data={"name": name, "accountnumber": "ACC-1"},
            twin_id=customer,
        ),
        index_entry(
            "customers",
            "right",
            customer,
            connection="tims",
            entity="customers",
            data={"CompanyName": name},
            twin_id=account,
        ),
    ]


async def settle(store: SqliteStore, record: str, action: str, detail: dict[str, Any], twin: str) -> None:
    await store.enqueue([NewEvent("customers", "left", record, source="webhook")])
    [claim] = await store.claim(worker="w", limit=1, lease_seconds=30)
    await store.finish(
        claim,
        link=Link("customers", record, twin),
        audit=[AuditEntry("customers", "left", record, action, detail, twin)],
        index=entries(record, twin, "Contoso Ltd"),
    )


async def test_a_created_then_updated_record_reads_as_one_timeline(tmp_path: Path) -> None:
    store = await open_store(tmp_path)
    try:
        await settle(store, "acc/1", "created", {"changes": {"CompanyName": "Contoso"}, "before": None}, "10016")
        update = {
            "changes": {"CompanyName": "Contoso Ltd", "api_token": "s3cret"},
            "before": {"CompanyName": "Contoso"},
        }
        await settle(store, "acc/1", "updated", update, "10016")
        found = await lineage(store, "customers", "left", "acc/1")
    finally:
        await store.close()
    assert found is not None
    assert (found.record.label, found.record.connection, found.record.entity) == (
        "Contoso Ltd (ACC-1)",
        "d365",
        "accounts",
    )
    assert found.twin is not None
    assert (found.twin.side, found.twin.record_id, found.twin.label) == ("right", "10016", "Contoso Ltd (10016)")
    assert found.twin.lineage_url == "/api/lineage/customers/right/10016"
    assert found.record.console_url == "/records/customers/left/acc/1"
    kinds = [m.kind for m in found.timeline]
    assert kinds == ["event", "write", "event", "write"]
    first, created, _, updated = found.timeline
    assert first.detail["source"] == "webhook" and first.detail["state"] == "done" and first.detail["attempts"] == 1
    assert created.summary == "created in tims customers as 10016 (CompanyName)"
    assert updated.detail["before"] == {"CompanyName": "Contoso"}
    assert updated.detail["after"] == {"CompanyName": "Contoso Ltd", "api_token": "***"}
    assert [m.at for m in found.timeline] == sorted(m.at for m in found.timeline if m.at)


async def test_the_twin_sees_the_writes_it_received(tmp_path: Path) -> None:
    store = await open_store(tmp_path)
    try:
        await settle(store, "acc-1", "created", {"changes": {"CompanyName": "Contoso"}}, "10016")
        found = await lineage(store, "customers", "right", "10016")
    finally:
        await store.close()
    assert found is not None and found.twin is not None and found.twin.record_id == "acc-1"
    [write] = found.timeline
    assert write.kind == "write" and write.detail["direction"] == "from the twin"
    assert write.summary == "created here from d365 accounts record acc-1 (CompanyName)"


async def test_dead_letters_with_their_resolution_and_runs_it_started_or_settled(tmp_path: Path) -> None:
    store = await open_store(tmp_path)
    try:
        await store.enqueue([NewEvent("customers", "left", "acc-1", source="poll")])
        [claim] = await store.claim(worker="w", limit=1, lease_seconds=30)
        await store.retry(claim, delay=0, error="503 from TIMS")
        [claim] = await store.claim(worker="w", limit=1, lease_seconds=30)
        letter = await store.dead_letter(claim, error_class="ValidationError", error="Line1 is required", payload=None)
        await store.resolve_dead_letter(letter, state="dropped", reason="test data")
        run_id, _ = await store.runs.start("onboarding", "acc-1", "acc-1", {"name": "Contoso"})
        other_run, _ = await store.runs.start("order-to-cash", "o-9", "o-9", None)
        [run] = [r for r in await store.runs.claim(worker="w", limit=5, lease_seconds=30) if r.id == other_run]
        step = StepRecord("customer", "done", input={"sync": "customers", "side": "left", "id": "acc-1"})
        await store.runs.advance(run, "w", state="completed", record=step)
        found = await lineage(store, "customers", "left", "acc-1")
        nothing = await lineage(store, "customers", "left", "acc-2")
    finally:
        await store.close()
    assert nothing is None
    assert found is not None and found.twin is None
    kinds = [m.kind for m in found.timeline]
    assert kinds == ["event", "dead-letter", "dead-letter-resolved", "run", "run-step"]
    event, dead, dropped, started, step_moment = found.timeline
    assert event.detail["attempts"] == 2 and event.detail["last_error"] == "Line1 is required"
    assert dead.url == f"/dead-letters/{letter}" and "Line1 is required" in dead.summary
    assert dropped.summary == f"dead letter {letter} dropped: test data"
    assert started.url == f"/runs/{run_id}" and started.detail["workflow"] == "onboarding"
    assert step_moment.url == f"/runs/{other_run}" and step_moment.detail["step"] == "customer"


async def test_a_long_history_keeps_the_newest_entries_and_says_so(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr("ferry.engine.store.trail.MAX_ROWS", 2)
    store = await open_store(tmp_path)
    try:
        for n in range(3):
            await settle(store, "acc-1", "updated", {"changes": {"CompanyName": f"Contoso {n}"}}, "10016")
        found = await lineage(store, "customers", "left", "acc-1")
    finally:
        await store.close()
    assert found is not None and found.truncated
    writes = [m.detail["after"]["CompanyName"] for m in found.timeline if m.kind == "write"]
    assert writes == ["Contoso 1", "Contoso 2"]
    assert [m.kind for m in found.timeline] == ["event", "write", "event", "write"]


async def test_a_replay_carrying_a_persons_edit_says_so_and_who(tmp_path: Path) -> None:
    store = await open_store(tmp_path)
    try:
        event = NewEvent("customers", "left", "acc-1", source="replay")
        fixed = Edit(by="ops", record={"name": "Contoso"}, letter=7)
        await store._run(lambda c: queue_event(c, event, fixed, "replay\x1f7", store.clock()))
        await store._run(
            lambda c: c.execute(
                "INSERT INTO audit(sync, side, record_id, action, detail, target_id, at) VALUES (?,?,?,?,?,?,?)",
                ("customers", "left", "acc-1", "dead-letter-replayed", b'{"dead_letter": 7, "by": "ops"}', None, 1.0),
            )
        )
        found = await lineage(store, "customers", "left", "acc-1")
    finally:
        await store.close()
    assert found is not None
    replayed, event_moment = found.timeline  # the audit entry's time (1.0) is the older
    assert replayed.summary == "dead-letter-replayed by ops"
    assert event_moment.detail["edited"] is True and "(edited by a person)" in event_moment.summary
