"""The control API's dead-letter fixing and reviews, over a real store and a sync of renaming mappings."""

from __future__ import annotations

import httpx

from ferry.engine.spec import SideSpec, SyncSpec
from ferry.engine.store import NewEvent, SqliteStore
from ferry.engine.store.edits import edits_of
from tests.unit.api.clients import api_client
from tests.unit.engine.fakes import Rename

SPEC = SyncSpec(
    "customers",
    SideSpec("crm", "things"),
    SideSpec("erp", "things"),
    maps={
        "left": Rename("l2r", {"name": "CompanyName", "email": "Email"}, link_to="ExternalID"),
        "right": Rename("r2l", {"CompanyName": "name", "Email": "email"}),
    },
)


#: The person the test clients act as (an operator with an API token).
WHO = "test-operator"


async def client(store: SqliteStore, role: str = "operator") -> httpx.AsyncClient:
    return await api_client(store, role, specs={"customers": SPEC})


async def dead(store: SqliteStore, record: str, error: str) -> int:
    await store.enqueue([NewEvent("customers", "left", record, version="7", payload={"name": record, "email": "x"})])
    [claim] = await store.claim(worker="w", limit=1, lease_seconds=30)
    return await store.dead_letter(claim, error_class="ValidationError", error=error, payload={"name": record})


async def test_groups_name_the_cause_once_for_letters_that_failed_alike(store: SqliteStore) -> None:
    a = await dead(store, "a", "Email 'x@' of customer a is not valid")
    b = await dead(store, "b", "Email 'y@' of customer b is not valid")
    c = await dead(store, "c", "TIMS is read-only until 06:00")
    async with await client(store) as api:
        groups = (await api.get("/api/dead-letters/groups", params={"sync": "customers"})).json()
        none = (await api.get("/api/dead-letters/groups", params={"sync": "vendors"})).json()
    assert [(g["cause"], g["count"], g["letter_ids"]) for g in groups] == [
        ("Email <value> of customer <id> is not valid", 2, [a, b]),
        ("TIMS is read-only until <n>:<n>", 1, [c]),
    ]
    assert groups[0]["error_class"] == "ValidationError" and groups[0]["first_at"] <= groups[0]["last_at"]
    assert none == []
    async with await client(store) as api:
        shown = (await api.get(f"/api/dead-letters/{a}")).json()
    assert shown["cause"] == groups[0]["cause"]  # how a letter names its group


async def test_a_replay_edit_is_checked_and_carried_on_the_replay_event(store: SqliteStore) -> None:
    letter = await dead(store, "a", "Email is not valid")
    async with await client(store) as api:
        listed = await api.post(f"/api/dead-letters/{letter}/replay", json={"payload": [1, 2]})
        unknown = await api.post(f"/api/dead-letters/{letter}/replay", json={"overrides": {"Emial": "a@x.test"}})
        done = await api.post(
            f"/api/dead-letters/{letter}/replay",
            json={"payload": {"name": "a", "email": "a@x.test"}, "overrides": {"Email": "b@x.test"}},
        )
        history = (await api.get("/api/records/customers/left/a")).json()
    assert listed.status_code == 422 and "payload must be a JSON object" in listed.text
    assert unknown.status_code == 422
    assert unknown.json()["detail"] == (
        "Mapping 'l2r' writes no field Emial; the fields it writes are: CompanyName, Email, ExternalID."
    )
    assert done.status_code == 200 and done.json()["state"] == "replayed"
    [claim] = await store.claim(worker="w", limit=1, lease_seconds=30)
    assert (claim.latest.source, claim.latest.version, claim.latest.payload) == (
        "replay",
        "7",  # the version that failed: an older edit never overwrites a newer change
        {"name": "a", "email": "a@x.test"},
    )
    [edit] = (await edits_of(store, claim)).values()
    assert (edit.by, edit.letter, edit.target_values) == (WHO, letter, {"Email": "b@x.test"})
    assert edit.changes == {"email": {"before": None, "after": "a@x.test"}}
    [replayed] = [a for a in history["audit"] if a["action"] == "dead-letter-replayed"]
    assert replayed["detail"]["by"] == WHO


async def test_overrides_need_the_running_projects_mapping(store: SqliteStore) -> None:
    letter = await dead(store, "a", "Email is not valid")
    async with await api_client(store, "operator") as api:  # no project: nothing to check overrides against
        refused = await api.post(f"/api/dead-letters/{letter}/replay", json={"overrides": {"Email": "a@x.test"}})
        plain = await api.post(f"/api/dead-letters/{letter}/replay")
    assert refused.status_code == 422 and "edited payload instead" in refused.json()["detail"]
    assert plain.status_code == 200


async def test_bulk_replay_and_drop_report_each_letter(store: SqliteStore) -> None:
    a = await dead(store, "a", "Email 'x@' is not valid")
    b = await dead(store, "b", "Email 'y@' is not valid")
    c = await dead(store, "c", "Credit limit 5000 is too high")
    async with await client(store) as api:
        first = await api.post(f"/api/dead-letters/{a}/replay")
        group = await api.post(
            "/api/dead-letters/replay", json={"sync": "customers", "cause": "Email <value> is not valid"}
        )
        by_ids = await api.post("/api/dead-letters/drop", json={"ids": [b, c, 999], "reason": "test data"})
        no_reason = await api.post("/api/dead-letters/drop", json={"ids": [c]})
        both_ways = await api.post("/api/dead-letters/replay", json={"ids": [c], "sync": "customers", "cause": "x"})
        neither = await api.post("/api/dead-letters/replay", json={})
        no_group = await api.post("/api/dead-letters/replay", json={"sync": "customers", "cause": "nothing"})
    assert first.status_code == 200
    assert group.json() == {"done": 1, "letters": [{"id": b, "outcome": "replayed"}]}  # a was replayed already
    assert by_ids.json() == {
        "done": 1,
        "letters": [
            {"id": b, "outcome": "already replayed"},
            {"id": c, "outcome": "dropped"},
            {"id": 999, "outcome": "not found"},
        ],
    }
    assert (no_reason.status_code, both_ways.status_code, neither.status_code) == (422, 422, 422)
    assert no_group.status_code == 404 and "/api/dead-letters/groups" in no_group.json()["detail"]


async def held(store: SqliteStore) -> int:
    await store.enqueue([NewEvent("customers", "left", "L1", version="3")])
    [claim] = await store.claim(worker="w", limit=1, lease_seconds=30)
    return await store.hold_for_review(
        claim,
        left={"name": "Left Name", "email": "same@x.test"},
        right={"CompanyName": "Right Name", "Email": "same@x.test", "ExternalID": "L1"},
        reason="both sides changed since the last sync",
        pair=("L1", "R1"),
    )


async def test_a_review_side_by_side_then_resolved_once(store: SqliteStore) -> None:
    review = await held(store)
    async with await client(store) as api:
        [listed] = (await api.get("/api/reviews", params={"sync": "customers", "state": "open"})).json()
        shown = (await api.get(f"/api/reviews/{review}")).json()
        missing = await api.post(f"/api/reviews/{review}/resolve", json={"choices": {}})
        unknown = await api.post(f"/api/reviews/{review}/resolve", json={"choices": {"name": "left"}})
        bad = await api.post(f"/api/reviews/{review}/resolve", json={"choices": {"CompanyName": "middle"}})
        done = await api.post(f"/api/reviews/{review}/resolve", json={"choices": {"CompanyName": {"value": "Agreed"}}})
        twice = await api.post(f"/api/reviews/{review}/resolve", json={"take": "left"})
        dismissed = await api.post(f"/api/reviews/{review}/dismiss", json={"reason": "late"})
        closed = (await api.get("/api/reviews", params={"state": "resolved"})).json()
        gone = await api.get("/api/reviews/999")
    assert listed["differing"] == ["CompanyName"] and listed["left_id"] == "L1"
    assert (shown["shape"], shown["mapped"], shown["mapping"]) == ("right", "left", "l2r")
    assert shown["fields"] == [
        {"field": "CompanyName", "left": "Left Name", "right": "Right Name", "differs": True},
        {"field": "Email", "left": "same@x.test", "right": "same@x.test", "differs": False},
        {"field": "ExternalID", "left": "L1", "right": "L1", "differs": False},
    ]
    assert "mapped by 'l2r'" in shown["sources"]["left"] and "as it is" in shown["sources"]["right"]
    assert missing.status_code == 422 and "CompanyName" in missing.json()["detail"]
    assert unknown.status_code == 422 and "its fields are: CompanyName, Email, ExternalID" in unknown.json()["detail"]
    assert bad.status_code == 422 and "the choice for CompanyName must be" in bad.text
    body = done.json()
    assert done.status_code == 200 and body["review"]["state"] == "resolved"
    assert body["review"]["decided_by"] == WHO
    assert sorted((w["side"], w["source"], w["record_id"]) for w in body["writes"]) == [
        ("left", "right", "R1"),
        ("right", "left", "L1"),
    ]
    assert (twice.status_code, dismissed.status_code, gone.status_code) == (409, 409, 404)
    assert [c["id"] for c in closed] == [review]
    claims = await store.claim(worker="w", limit=5, lease_seconds=30)
    assert {(c.side, c.record_id, c.latest.source) for c in claims} == {
        ("left", "L1", "review"),
        ("right", "R1", "review"),
    }
    history = await store.audit_trail("customers", "left", "L1")
    [decision] = [a for a in history if a.action == "review-resolved"]
    assert decision.detail["by"] == WHO and decision.detail["choices"] == {"CompanyName": {"value": "Agreed"}}


async def test_a_dismissed_review_writes_nothing(store: SqliteStore) -> None:
    review = await held(store)
    async with await client(store) as api:
        dismissed = await api.post(f"/api/reviews/{review}/dismiss", json={"reason": "the two are both right"})
        again = await api.post(f"/api/reviews/{review}/resolve", json={"take": "left"})
    assert dismissed.json()["state"] == "dismissed" and dismissed.json()["decided_by"] == WHO
    assert again.status_code == 409
    assert await store.claim(worker="w", limit=5, lease_seconds=30) == []


async def test_fixing_needs_the_operator_role_and_reading_the_viewer_role(store: SqliteStore) -> None:
    letter, review = await dead(store, "a", "Email is not valid"), await held(store)
    async with await client(store, "viewer") as viewer, await api_client(store, None) as stranger:
        read = await viewer.get("/api/dead-letters/groups")
        shown = await viewer.get(f"/api/reviews/{review}")
        replay = await viewer.post(f"/api/dead-letters/{letter}/replay")
        resolve = await viewer.post(f"/api/reviews/{review}/resolve", json={"take": "left"})
        anonymous = await stranger.get("/api/reviews")
    assert (read.status_code, shown.status_code) == (200, 200)
    assert (replay.status_code, resolve.status_code, anonymous.status_code) == (403, 403, 401)
