"""The engine settling a person's fix: an edited record instead of a read, values over the mapped output,
and a review's decision written to both sides even though both changed."""

from __future__ import annotations

import pytest

from ferry.core.errors import TransientError, ValidationError
from ferry.engine.comparison import DecisionError, compare, decide, resolve
from ferry.engine.edits import Edit
from ferry.engine.spec import ConflictPolicy
from ferry.engine.store import NewEvent, SqliteStore
from ferry.engine.store.dead_letters import DeadLetterFixes
from ferry.engine.store.reviews import ReviewDesk
from tests.unit.engine.test_processor import Rig


async def refused(rig: Rig, record: dict[str, str]) -> tuple[str, int]:
    """A left record the right system refuses once: its id and its dead letter's."""
    left_id = rig.left.put(record)
    rig.right.fail_next_write = [ValidationError("Email is not an e-mail address")]
    assert await rig.notify("left", left_id) == ["dead"]
    [letter] = await rig.store.dead_letters()
    return left_id, letter.id


async def test_a_dead_letter_keeps_the_record_ferry_read_not_the_bare_event(store: SqliteStore) -> None:
    rig = Rig(store)
    left_id, letter_id = await refused(rig, {"name": "Acme", "email": "not-an-email"})
    letter = await store.dead_letter_by_id(letter_id)
    assert letter is not None and letter.payload == {"name": "Acme", "email": "not-an-email"}
    assert letter.record_id == left_id


async def test_an_edited_record_is_used_instead_of_reading_it_once(store: SqliteStore) -> None:
    rig = Rig(store)
    left_id, letter_id = await refused(rig, {"name": "Acme", "email": "not-an-email"})
    rig.left.fail_next_call = [TransientError("the left system is down")]  # a read would fail
    edit = Edit(by="alice", record={"name": "Acme", "email": "a@acme.test"}, letter=letter_id)
    assert await DeadLetterFixes(store).replay(letter_id, by="alice", edit=edit) == "replayed"
    assert await rig.drain() == ["created"]
    assert rig.left.fail_next_call  # never read
    [right] = rig.right.rows.values()
    assert right["Email"] == "a@acme.test"
    assert rig.left.rows[left_id]["email"] == "not-an-email"  # the system keeps its own record
    trail = await store.audit_trail("customers", "left", left_id)
    [created] = [a for a in trail if a.action == "created"]
    assert created.detail["edit"]["by"] == "alice" and created.detail["edit"]["dead_letter"] == letter_id


async def test_overrides_are_laid_over_the_mapped_output_before_writing(store: SqliteStore) -> None:
    rig = Rig(store)
    left_id, letter_id = await refused(rig, {"name": "Acme", "email": "not-an-email"})
    edit = Edit(by="bob", target_values={"Email": "fixed@acme.test"}, letter=letter_id)
    await DeadLetterFixes(store).replay(letter_id, by="bob", edit=edit)
    assert await rig.drain() == ["created"]
    [right] = rig.right.rows.values()
    assert right == {"CompanyName": "Acme", "Email": "fixed@acme.test", "ExternalID": left_id}


async def test_a_change_after_the_edit_is_settled_next_not_swallowed(store: SqliteStore) -> None:
    rig = Rig(store)
    left_id, letter_id = await refused(rig, {"name": "Acme", "email": "not-an-email"})
    edit = Edit(record={"name": "Acme", "email": "a@acme.test"}, letter=letter_id)
    await DeadLetterFixes(store).replay(letter_id, by="alice", edit=edit)
    rig.left.put({"name": "Acme Ltd"}, left_id)
    await store.enqueue([NewEvent("customers", "left", left_id, version=str(rig.left.versions[left_id]))])
    assert await rig.drain() == ["created", "updated"]
    [right] = rig.right.rows.values()
    assert right["CompanyName"] == "Acme Ltd"


async def test_a_plain_replay_of_a_failed_edit_carries_the_edit_again(store: SqliteStore) -> None:
    rig = Rig(store)
    _, letter_id = await refused(rig, {"name": "Acme", "email": "not-an-email"})
    fixes = DeadLetterFixes(store)
    await fixes.replay(letter_id, by="bob", edit=Edit(target_values={"Email": "fixed@acme.test"}, letter=letter_id))
    rig.right.fail_next_write = [ValidationError("TIMS is closed for the night")]
    assert await rig.drain() == ["dead"]
    [again] = await store.dead_letters()
    assert await fixes.replay(again.id, by="bob") == "replayed"
    assert await fixes.replay(again.id, by="bob") == "already replayed"
    assert await rig.drain() == ["created"]
    [right] = rig.right.rows.values()
    assert right["Email"] == "fixed@acme.test"


async def test_a_review_decided_per_field_writes_both_sides_and_settles(store: SqliteStore) -> None:
    rig = Rig(store, conflicts=ConflictPolicy("review"))
    left_id = rig.left.put({"name": "Acme", "email": "a@acme.test"})
    await rig.notify("left", left_id)
    [right_id] = rig.right.rows
    rig.left.put({"name": "Left Name", "email": "left@acme.test"}, left_id)
    rig.right.put({"CompanyName": "Right Name"}, right_id)
    assert await rig.notify("left", left_id) == ["review"]
    desk = ReviewDesk(store)
    [review] = await desk.list()
    assert review.mapped == {  # the left record as the engine maps it, to compare with the right
        "side": "left",
        "payload": {"CompanyName": "Left Name", "Email": "left@acme.test", "ExternalID": left_id},
    }

    comparison = compare(rig.spec, review)
    assert (comparison.shape, comparison.mapped, comparison.differing) == ("right", "left", ["CompanyName", "Email"])
    with pytest.raises(DecisionError, match="Email"):
        decide(comparison, {"CompanyName": "left"})
    with pytest.raises(DecisionError, match="Nope.*CompanyName"):
        decide(comparison, {"Nope": "left"})
    done = await resolve(desk, rig.spec, review, {"CompanyName": "right", "Email": "left"}, by="carol")
    assert done.decided and {e.side for e, _ in done.writes} == {"left", "right"}
    assert not (await resolve(desk, rig.spec, review, {}, "left", by="dave")).decided

    assert sorted(await rig.drain()) == ["updated", "updated"]
    assert (rig.left.rows[left_id]["name"], rig.left.rows[left_id]["email"]) == ("Right Name", "left@acme.test")
    assert (rig.right.rows[right_id]["CompanyName"], rig.right.rows[right_id]["Email"]) == (
        "Right Name",
        "left@acme.test",
    )
    assert await rig.notify("left", left_id) == ["echo"]
    assert await rig.notify("right", right_id) == ["echo"]
    [closed] = await desk.list(state="resolved")
    assert closed.decided_by == "carol" and closed.decision is not None
    assert closed.decision["values"] == {"CompanyName": "Right Name", "Email": "left@acme.test"}
