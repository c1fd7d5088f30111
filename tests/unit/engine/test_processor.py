from __future__ import annotations

import asyncio

import pytest

from ferry.core.errors import AuthError, RateLimitedError, TransientError, ValidationError
from ferry.core.records import WriteKind
from ferry.engine.processor import Processor
from ferry.engine.retry import RetryPolicy
from ferry.engine.spec import ConflictPolicy, MatchRule, SideSpec, SyncSpec
from ferry.engine.store import NewEvent, SqliteStore
from ferry.engine.store.base import Side
from tests.unit.engine.fakes import FakeSystem, Rename, drain

LEFT_TO_RIGHT = {"name": "CompanyName", "email": "Email"}
RIGHT_TO_LEFT = {v: k for k, v in LEFT_TO_RIGHT.items()}


class Rig:
    def __init__(self, store: SqliteStore, **spec: object) -> None:
        self.store = store
        self.left = FakeSystem("L")
        self.right = FakeSystem("R")
        self.spec = SyncSpec(
            "customers",
            SideSpec("crm", "things"),
            SideSpec("erp", "things"),
            maps={"left": Rename("l2r", LEFT_TO_RIGHT, link_to="ExternalID"), "right": Rename("r2l", RIGHT_TO_LEFT)},
            link_field=("right", "ExternalID"),
            **spec,  # type: ignore[arg-type]
        )
        self.processor = Processor(
            store,
            {"customers": self.spec},
            {"crm": self.left, "erp": self.right},
            retry=RetryPolicy(max_attempts=3, jitter=False),
        )

    async def notify(self, side: Side, record_id: str, kind: str = "upsert") -> list[str]:
        system = self.left if side == "left" else self.right
        version = str(system.versions.get(record_id, 0))
        await self.store.enqueue([NewEvent("customers", side, record_id, kind=kind, version=version)])  # type: ignore[arg-type]
        return await self.drain()

    async def drain(self) -> list[str]:
        return await drain(self.store, self.processor)


async def test_a_new_record_is_created_on_the_other_side_and_linked(store: SqliteStore) -> None:
    rig = Rig(store)
    left_id = rig.left.put({"name": "Acme", "email": "a@acme.test"})
    assert await rig.notify("left", left_id) == ["created"]
    [right_id] = rig.right.rows
    assert rig.right.rows[right_id] == {"CompanyName": "Acme", "Email": "a@acme.test", "ExternalID": left_id}
    link = await store.link("customers", "left", left_id)
    assert link is not None and link.right_id == right_id


async def test_the_write_coming_back_is_recognised_as_an_echo(store: SqliteStore) -> None:
    rig = Rig(store)
    left_id = rig.left.put({"name": "Acme"})
    await rig.notify("left", left_id)
    [right_id] = rig.right.rows
    assert await rig.notify("right", right_id) == ["echo"]
    assert len(rig.left.writes) == 0


async def test_an_edit_writes_only_the_changed_fields_and_settles(store: SqliteStore) -> None:
    rig = Rig(store)
    left_id = rig.left.put({"name": "Acme", "email": "old@acme.test"})
    await rig.notify("left", left_id)
    [right_id] = rig.right.rows
    rig.left.put({"email": "new@acme.test"}, left_id)
    assert await rig.notify("left", left_id) == ["updated"]
    assert rig.right.writes[-1].data == {"Email": "new@acme.test"}
    assert await rig.notify("right", right_id) == ["echo"]
    total = len(rig.left.writes) + len(rig.right.writes)
    assert total == 2


async def test_a_person_editing_the_other_side_flows_back_without_ping_pong(store: SqliteStore) -> None:
    rig = Rig(store)
    left_id = rig.left.put({"name": "Acme", "email": "a@acme.test"})
    await rig.notify("left", left_id)
    [right_id] = rig.right.rows
    rig.right.put({"CompanyName": "Acme Ltd"}, right_id)
    assert await rig.notify("right", right_id) == ["updated"]
    assert rig.left.rows[left_id]["name"] == "Acme Ltd"
    assert await rig.notify("left", left_id) == ["echo"]


async def test_a_redelivered_old_event_changes_nothing(store: SqliteStore) -> None:
    rig = Rig(store)
    left_id = rig.left.put({"name": "Acme"})
    await rig.notify("left", left_id)
    await store.enqueue([NewEvent("customers", "left", left_id, version="1", event_id="late")])
    assert await rig.drain() == ["stale"]


async def test_an_existing_twin_is_linked_through_the_link_field_not_duplicated(store: SqliteStore) -> None:
    rig = Rig(store)
    left_id = rig.left.put({"name": "Acme"})
    right_id = rig.right.put({"CompanyName": "Acme", "ExternalID": left_id})
    assert await rig.notify("left", left_id) == ["settled"]
    assert list(rig.right.rows) == [right_id]


async def test_match_rules_link_by_email_but_never_on_an_ambiguous_match(store: SqliteStore) -> None:
    rig = Rig(store, match=(MatchRule("email", "Email"),))
    unique = rig.left.put({"name": "One", "email": "one@x.test"})
    rig.right.put({"CompanyName": "One", "Email": "one@x.test"})
    shared = rig.left.put({"name": "Two", "email": "two@x.test"})
    rig.right.put({"CompanyName": "Two A", "Email": "two@x.test"})
    rig.right.put({"CompanyName": "Two B", "Email": "two@x.test"})
    assert await rig.notify("left", unique) == ["updated"]
    assert await rig.notify("left", shared) == ["created"]


async def test_find_by_links_the_one_record_whose_fields_equal_the_mapped_payload(store: SqliteStore) -> None:
    # A target named by several fields (a shop's stock level is its SKU at a location), not one id.
    rig = Rig(store, find_by=("CompanyName", "Email"))
    known = rig.left.put({"name": "One", "email": "one@x.test"})
    twin = rig.right.put({"CompanyName": "One", "Email": "one@x.test"})
    rig.right.put({"CompanyName": "One", "Email": "other@x.test"})  # one field equal is not enough
    assert await rig.notify("left", known) == ["updated"]
    assert rig.right.writes[-1].id == twin and rig.right.rows[twin]["ExternalID"] == known
    link = await store.link("customers", "left", known)
    assert link is not None and link.right_id == twin

    shared = rig.left.put({"name": "Two", "email": "two@x.test"})
    rig.right.put({"CompanyName": "Two", "Email": "two@x.test"})
    rig.right.put({"CompanyName": "Two", "Email": "two@x.test"})
    before = len(rig.right.rows)
    assert await rig.notify("left", shared) == ["created"]  # two candidates: neither is the twin
    assert len(rig.right.rows) == before + 1


async def test_new_records_sharing_a_match_value_settled_at_once_each_get_their_own_twin(
    store: SqliteStore,
) -> None:
    # Settled one after the other, the second finds the first's twin already linked and creates its
    # own; settled concurrently, the outcome must be the same, not one twin shared by both.
    rig = Rig(store, match=(MatchRule("email", "Email"),))
    rig.right.interleave = True
    ids = [rig.left.put({"name": f"Branch {n}", "email": "orders@acme.test"}) for n in range(3)]
    await store.enqueue([NewEvent("customers", "left", i, version=str(rig.left.versions[i])) for i in ids])
    claims = await store.claim(worker="t", limit=10, lease_seconds=30)
    outcomes = await asyncio.gather(*(rig.processor.process(c) for c in claims))
    assert outcomes == ["created"] * 3
    assert sorted(row["ExternalID"] for row in rig.right.rows.values()) == sorted(ids)
    links = [await store.link("customers", "left", i) for i in ids]
    assert len({link.right_id for link in links if link is not None}) == 3


async def test_a_twin_whose_link_field_names_another_record_is_not_matched(store: SqliteStore) -> None:
    rig = Rig(store, match=(MatchRule("email", "Email"),))
    rig.right.put({"CompanyName": "Acme North", "Email": "orders@acme.test", "ExternalID": "L-elsewhere"})
    left_id = rig.left.put({"name": "Acme South", "email": "orders@acme.test"})
    assert await rig.notify("left", left_id) == ["created"]
    assert len(rig.right.rows) == 2


async def test_a_refused_record_goes_to_the_dead_letter_queue(store: SqliteStore) -> None:
    rig = Rig(store)
    rig.right.fail_next_write.append(ValidationError("TIMS answered 422: credit limit exceeded"))
    left_id = rig.left.put({"name": "Acme"})
    assert await rig.notify("left", left_id) == ["dead"]
    [letter] = await store.dead_letters()
    assert letter.error_class == "ValidationError"
    assert "credit limit" in letter.error


async def test_transient_failures_retry_then_dead_letter_when_exhausted(store: SqliteStore) -> None:
    rig = Rig(store)
    rig.processor.retry = RetryPolicy(base_seconds=0.001, max_seconds=0.001, max_attempts=2, jitter=False)
    rig.right.fail_next_call.extend([TransientError("503"), TransientError("503")])
    left_id = rig.left.put({"name": "Acme"})
    outcomes = await rig.notify("left", left_id)
    await asyncio.sleep(0.01)
    outcomes += await rig.drain()
    assert outcomes == ["retry", "dead"]
    [letter] = await store.dead_letters()
    assert letter.attempts == 2


async def test_rate_limits_wait_at_least_what_the_system_asked(store: SqliteStore) -> None:
    rig = Rig(store)
    rig.right.fail_next_call.append(RateLimitedError("429", retry_after=120))
    left_id = rig.left.put({"name": "Acme"})
    assert await rig.notify("left", left_id) == ["retry"]
    assert await store.claim(worker="t", limit=1, lease_seconds=1) == []  # due in about two minutes


async def test_auth_failure_pauses_the_connection_and_keeps_the_record(store: SqliteStore) -> None:
    rig = Rig(store)
    rig.right.fail_next_call.append(AuthError("401"))
    left_id = rig.left.put({"name": "Acme"})
    assert await rig.notify("left", left_id) == ["paused"]
    assert rig.processor.breakers["erp"].state == "open"
    assert await store.dead_letters() == []


@pytest.mark.parametrize(
    ("policy", "expected_name", "outcome"),
    [
        (ConflictPolicy("newest_wins"), "Right edit", "conflict-lost"),
        (ConflictPolicy("system_of_record", winner="left"), "Left edit", "updated"),
        (ConflictPolicy("review"), "Right edit", "review"),
    ],
)
async def test_conflicts_follow_the_policy(
    store: SqliteStore, policy: ConflictPolicy, expected_name: str, outcome: str
) -> None:
    rig = Rig(store, conflicts=policy)
    left_id = rig.left.put({"name": "Acme"})
    await rig.notify("left", left_id)
    [right_id] = rig.right.rows
    rig.left.put({"name": "Left edit"}, left_id)
    rig.right.put({"CompanyName": "Right edit"}, right_id)  # later, so newer
    assert await rig.notify("left", left_id) == [outcome]
    assert rig.right.rows[right_id]["CompanyName"] == expected_name


async def test_a_conflict_seen_from_both_sides_is_one_review(store: SqliteStore) -> None:
    rig = Rig(store, conflicts=ConflictPolicy("review"))
    left_id = rig.left.put({"name": "Acme"})
    await rig.notify("left", left_id)
    [right_id] = rig.right.rows
    rig.left.put({"name": "Left edit"}, left_id)
    rig.right.put({"CompanyName": "Right edit"}, right_id)
    assert await rig.notify("left", left_id) == ["review"]
    assert await rig.notify("right", right_id) == ["review"]
    [counts] = await store.counts()
    assert counts.reviews == 1
    assert rig.left.rows[left_id]["name"] == "Left edit"
    assert rig.right.rows[right_id]["CompanyName"] == "Right edit"


async def test_a_delete_is_propagated_once(store: SqliteStore) -> None:
    rig = Rig(store)
    left_id = rig.left.put({"name": "Acme"})
    await rig.notify("left", left_id)
    [right_id] = rig.right.rows
    rig.left.deleted.add(left_id)
    assert await rig.notify("left", left_id, kind="delete") == ["deleted"]
    assert right_id in rig.right.deleted
    assert [op.kind for op in rig.right.writes] == [WriteKind.CREATE, WriteKind.DELETE]


async def test_deletes_ignore_keeps_the_twin(store: SqliteStore) -> None:
    rig = Rig(store, deletes="ignore")
    left_id = rig.left.put({"name": "Acme"})
    await rig.notify("left", left_id)
    rig.left.deleted.add(left_id)
    assert await rig.notify("left", left_id, kind="delete") == ["delete-ignored"]
    assert rig.right.deleted == set() and [op.kind for op in rig.right.writes] == [WriteKind.CREATE]


async def test_deletes_map_maps_the_record_as_it_was_deleted_instead_of_deleting_the_twin(store: SqliteStore) -> None:
    rig = Rig(store, deletes="map")
    rig.left.soft_deletes = True
    left_id = rig.left.put({"name": "Acme"})
    await rig.notify("left", left_id)
    [right_id] = rig.right.rows
    rig.left.put({"name": "Acme (void)"}, left_id)  # a soft delete is a change of the record too
    rig.left.deleted.add(left_id)
    assert await rig.notify("left", left_id, kind="delete") == ["updated"]
    assert rig.right.rows[right_id]["CompanyName"] == "Acme (void)" and right_id not in rig.right.deleted
    assert WriteKind.DELETE not in [op.kind for op in rig.right.writes]
    assert await rig.notify("left", left_id, kind="delete") == []  # delivered again: collapsed, nothing more


async def test_deletes_map_changes_nothing_for_a_record_no_longer_readable(store: SqliteStore) -> None:
    rig = Rig(store, deletes="map")
    left_id = rig.left.put({"name": "Acme"})
    await rig.notify("left", left_id)
    rig.left.deleted.add(left_id)  # deleted for good: the system returns nothing
    assert await rig.notify("left", left_id, kind="delete") == ["gone"]
    assert [op.kind for op in rig.right.writes] == [WriteKind.CREATE]


async def test_a_crash_after_the_write_does_not_duplicate_on_retry(store: SqliteStore) -> None:
    rig = Rig(store)
    left_id = rig.left.put({"name": "Acme"})
    await store.enqueue([NewEvent("customers", "left", left_id, version="1")])
    [claim] = await store.claim(worker="t", limit=1, lease_seconds=0)

    async def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("power cut")

    finish, save_link = store.finish, store.save_link
    store.finish = store.save_link = crash  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        await rig.processor.process(claim)
    store.finish, store.save_link = finish, save_link  # type: ignore[method-assign]
    assert await rig.drain() == ["settled"]  # the lease ran out; the twin is found, not created again
    assert len(rig.right.rows) == 1


async def test_one_way_syncs_ignore_the_other_direction(store: SqliteStore) -> None:
    rig = Rig(store, direction="left_to_right")
    right_id = rig.right.put({"CompanyName": "Only here"})
    assert await rig.notify("right", right_id) == ["one-way"]
    assert rig.left.rows == {}


async def test_a_conflict_that_does_not_clear_is_dead_lettered_after_a_few_tries(store: SqliteStore) -> None:
    from ferry.core.errors import ConflictError

    rig = Rig(store)
    rig.processor.retry = RetryPolicy(base_seconds=0.001, max_seconds=0.001, conflict_attempts=2, jitter=False)
    rig.right.fail_next_write.extend([ConflictError("412 key taken"), ConflictError("412 key taken")])
    left_id = rig.left.put({"name": "Acme"})
    outcomes = await rig.notify("left", left_id)
    await asyncio.sleep(0.01)
    outcomes += await rig.drain()
    assert outcomes == ["retry", "dead"]


async def test_a_failed_link_write_back_is_finished_by_the_retry(store: SqliteStore) -> None:
    rig = Rig(store)
    rig.processor.retry = RetryPolicy(base_seconds=0.001, max_seconds=0.001, jitter=False)
    right_id = rig.right.put({"CompanyName": "From the ERP"})
    rig.right.fail_next_write.append(TransientError("503 while storing the link"))
    outcomes = await rig.notify("right", right_id)
    await asyncio.sleep(0.01)
    outcomes += await rig.drain()
    [left_id] = rig.left.rows
    assert outcomes == ["retry", "settled"]
    assert rig.right.rows[right_id]["ExternalID"] == left_id
    assert len(rig.left.rows) == 1
