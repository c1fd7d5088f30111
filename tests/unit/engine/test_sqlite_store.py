from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from ferry.engine.store import AuditEntry, Link, NewEvent, SqliteStore


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def store(tmp_path: Path, clock: Clock) -> AsyncIterator[SqliteStore]:
    s = SqliteStore(tmp_path / "state.db", clock=clock)
    await s.open()
    yield s
    await s.close()


def event(record: str, version: str | None = "1", **kw: object) -> NewEvent:
    return NewEvent("customers", "left", record, version=version, **kw)  # type: ignore[arg-type]


async def test_duplicate_events_are_ignored(store: SqliteStore) -> None:
    assert await store.enqueue([event("a", "1"), event("a", "1"), event("a", "2")]) == 2
    assert await store.enqueue([event("a", "2")]) == 0


async def test_events_without_version_collapse_by_event_id(store: SqliteStore) -> None:
    first = await store.enqueue([event("a", None, event_id="evt-1")])
    again = await store.enqueue([event("a", None, event_id="evt-1")])
    assert (first, again) == (1, 0)


async def test_one_claim_holds_every_pending_event_of_a_record(store: SqliteStore) -> None:
    await store.enqueue([event("a", "1"), event("b", "1"), event("a", "2")])
    claims = await store.claim(worker="w1", limit=10, lease_seconds=30)
    by_record = {c.record_id: [e.version for e in c.events] for c in claims}
    assert by_record == {"a": ["1", "2"], "b": ["1"]}


async def test_a_claim_carries_when_each_change_happened(store: SqliteStore) -> None:
    # Newest-wins compares these times; a claim without them would let any change win.
    when = datetime(2026, 11, 22, 8, 15, 30, 250000, tzinfo=UTC)
    await store.enqueue([event("a", "1", occurred_at=when), event("a", "2")])
    [claim] = await store.claim(worker="w", limit=5, lease_seconds=60)
    assert [e.occurred_at for e in claim.events] == [when, None]


async def test_a_claim_looks_past_many_events_of_one_record_for_other_records(store: SqliteStore) -> None:
    await store.enqueue([event("busy", str(v)) for v in range(30)] + [event("other", "1")])
    claims = await store.claim(worker="w", limit=2, lease_seconds=60)
    assert [(c.record_id, len(c.events)) for c in claims] == [("busy", 30), ("other", 1)]
    assert await store.has_work()
    for claim in claims:
        await store.finish(claim, link=None, audit=[])
    assert not await store.has_work()


async def test_a_claimed_record_is_not_given_to_another_worker(store: SqliteStore) -> None:
    await store.enqueue([event("a", "1")])
    first = await store.claim(worker="w1", limit=10, lease_seconds=30)
    await store.enqueue([event("a", "2")])
    second = await store.claim(worker="w2", limit=10, lease_seconds=30)
    assert [c.record_id for c in first] == ["a"]
    assert second == []


async def test_an_expired_lease_frees_the_record(store: SqliteStore, clock: Clock) -> None:
    await store.enqueue([event("a")])
    await store.claim(worker="dead-worker", limit=10, lease_seconds=30)
    clock.now += 31
    again = await store.claim(worker="w2", limit=10, lease_seconds=30)
    assert [c.record_id for c in again] == ["a"]
    assert again[0].attempts == 2


async def test_finish_saves_the_link_and_audit_with_the_completion(store: SqliteStore) -> None:
    await store.enqueue([event("a", payload={"CreditLimit": Decimal("1250.10")})])
    [claim] = await store.claim(worker="w", limit=1, lease_seconds=30)
    assert claim.latest.payload == {"CreditLimit": Decimal("1250.10")}
    link = Link("customers", "a", "10001", left_version="1", right_written="h1")
    await store.finish(claim, link=link, audit=[AuditEntry("customers", "left", "a", "created", {"x": 1}, "10001")])
    assert await store.claim(worker="w", limit=1, lease_seconds=30) == []
    saved = await store.link("customers", "right", "10001")
    assert saved is not None and (saved.left_id, saved.right_written) == ("a", "h1")
    trail = await store.audit_trail("customers", "left", "a")
    assert [(t.action, t.target_id, t.detail) for t in trail] == [("created", "10001", {"x": 1})]


async def test_link_updates_in_place(store: SqliteStore) -> None:
    await store.save_link(Link("customers", "a", None))
    await store.save_link(Link("customers", "a", "10001", left_version="2"))
    links = await store.links("customers")
    assert [(lk.left_id, lk.right_id, lk.left_version) for lk in links] == [("a", "10001", "2")]


async def test_retry_waits_for_its_delay(store: SqliteStore, clock: Clock) -> None:
    await store.enqueue([event("a")])
    [claim] = await store.claim(worker="w", limit=1, lease_seconds=30)
    await store.retry(claim, delay=10, error="503 from TIMS")
    assert await store.claim(worker="w", limit=1, lease_seconds=30) == []
    clock.now += 10
    assert [c.record_id for c in await store.claim(worker="w", limit=1, lease_seconds=30)] == ["a"]


async def test_dead_letter_then_replay(store: SqliteStore) -> None:
    await store.enqueue([event("a", payload={"Name": "x"})])
    [claim] = await store.claim(worker="w", limit=1, lease_seconds=30)
    letter_id = await store.dead_letter(
        claim, error_class="ValidationError", error="422 unknown customer", payload={"Name": "x"}
    )
    [letter] = await store.dead_letters(sync="customers")
    assert (letter.id, letter.error, letter.payload) == (letter_id, "422 unknown customer", {"Name": "x"})
    counts = {c.sync: c for c in await store.counts()}
    assert counts["customers"].dead == 1
    assert await store.resolve_dead_letter(letter_id, state="replayed", reason=None, replay=event("a", None))
    assert not await store.resolve_dead_letter(letter_id, state="dropped", reason="twice")
    assert [c.record_id for c in await store.claim(worker="w", limit=1, lease_seconds=30)] == ["a"]


async def test_cursors_round_trip(store: SqliteStore) -> None:
    assert await store.get_cursor("customers", "left") is None
    await store.set_cursor("customers", "left", "delta-1")
    await store.set_cursor("customers", "left", "delta-2")
    assert await store.get_cursor("customers", "left") == "delta-2"


async def test_events_survive_a_restart_and_in_flight_claims_come_back(tmp_path: Path, clock: Clock) -> None:
    first = SqliteStore(tmp_path / "state.db", clock=clock)
    await first.open()
    await first.enqueue([event("a"), event("b")])
    await first.claim(worker="w", limit=1, lease_seconds=3600)
    await first.close()
    second = SqliteStore(tmp_path / "state.db", clock=clock)
    await second.open()
    claims = await second.claim(worker="w", limit=10, lease_seconds=30)
    await second.close()
    assert sorted(c.record_id for c in claims) == ["a", "b"]


async def test_concurrent_calls_share_commits(store: SqliteStore) -> None:
    before = store.commits
    await asyncio.gather(*(store.enqueue([event(f"r{n}")]) for n in range(200)))
    assert store.commits - before < 200
    claims = await store.claim(worker="w", limit=500, lease_seconds=30)
    assert len(claims) == 200


async def test_a_failing_call_does_not_undo_the_others_in_its_group(store: SqliteStore) -> None:
    async def bad() -> None:
        await store._run(lambda c: c.execute("INSERT INTO nosuchtable VALUES (1)"))

    results = await asyncio.gather(store.enqueue([event("ok")]), bad(), return_exceptions=True)
    assert results[0] == 1
    assert isinstance(results[1], Exception)
    assert [c.record_id for c in await store.claim(worker="w", limit=5, lease_seconds=30)] == ["ok"]


async def test_events_and_the_cursor_commit_together(store: SqliteStore) -> None:
    await store.enqueue([event("a")], cursor=("customers", "left", "page-2"))
    assert await store.get_cursor("customers", "left") == "page-2"


async def test_a_second_process_leaves_the_owners_work_alone(tmp_path: Path, clock: Clock) -> None:
    owner = SqliteStore(tmp_path / "state.db", clock=clock)
    await owner.open()
    await owner.enqueue([event("a")])
    await owner.claim(worker="engine", limit=1, lease_seconds=3600)
    viewer = SqliteStore(tmp_path / "state.db", clock=clock)
    await viewer.open(owner=False)
    counts = await viewer.counts()
    await viewer.close()
    assert counts[0].in_flight == 1
    assert await owner.claim(worker="other", limit=1, lease_seconds=30) == []
    await owner.close()


async def test_expedite_makes_the_waiting_changes_of_the_syncs_named_due_now(tmp_path: Path) -> None:
    clock = [1000.0]
    store = SqliteStore(tmp_path / "s.db", clock=lambda: clock[0])
    await store.open()
    try:
        await store.enqueue([NewEvent("customers", "left", "a", version="1"), NewEvent("vendors", "left", "b")])
        for claim in await store.claim(worker="w", limit=2, lease_seconds=30):
            await store.retry(claim, delay=30, error="circuit open")
        assert await store.claim(worker="w", limit=2, lease_seconds=30) == []
        assert await store.expedite(["customers"]) == 1
        [due] = await store.claim(worker="w", limit=2, lease_seconds=30)
        assert due.record_id == "a"  # the vendors' change still waits out its backoff
    finally:
        await store.close()
