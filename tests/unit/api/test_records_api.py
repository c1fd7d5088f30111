"""The record part of the control API: search, lineage, and the record history route beside them."""

from __future__ import annotations

import httpx

from ferry.engine.searchterms import index_entry
from ferry.engine.store import AuditEntry, Link, NewEvent, SqliteStore
from tests.unit.api.clients import api_client


async def client(store: SqliteStore, role: str | None = "viewer") -> httpx.AsyncClient:
    """A viewer's client: reading records needs no more."""
    return await api_client(store, role)


async def settled(store: SqliteStore, sync: str, record_id: str, name: str, twin: str) -> None:
    await store.enqueue([NewEvent(sync, "left", record_id, source="webhook")])
    [claim] = await store.claim(worker="w", limit=1, lease_seconds=30)
    data = {"name": name, "accountnumber": "ACC-1001", "emailaddress1": "buyer@contoso.example"}
    entry = index_entry(sync, "left", record_id, connection="d365", entity="accounts", data=data, twin_id=twin)
    await store.finish(
        claim,
        link=Link(sync, record_id, twin),
        audit=[AuditEntry(sync, "left", record_id, "created", {"changes": {"CompanyName": name}}, twin)],
        index=[entry],
    )


async def test_search_answers_matches_with_where_to_see_them(store: SqliteStore) -> None:
    await settled(store, "customers", "acc/1", "Contoso Ltd", "10016")
    async with await client(store) as c:
        found = await c.get("/api/records/search", params={"q": "CONTOSO"})
        by_twin = await c.get("/api/records/search", params={"q": "10016", "limit": "5"})
    assert found.status_code == 200
    [match] = found.json()
    assert {k: match[k] for k in ("sync", "side", "connection", "entity", "record_id", "label", "twin_id")} == {
        "sync": "customers",
        "side": "left",
        "connection": "d365",
        "entity": "accounts",
        "record_id": "acc/1",
        "label": "Contoso Ltd (ACC-1001)",
        "twin_id": "10016",
    }
    assert match["last_seen"].endswith(("Z", "+00:00"))
    assert match["lineage_url"] == "/api/lineage/customers/left/acc/1"
    assert [m["record_id"] for m in by_twin.json()] == ["acc/1"]


async def test_search_says_what_is_wrong_with_a_question(store: SqliteStore) -> None:
    async with await client(store) as c:
        missing = await c.get("/api/records/search")
        blank = await c.get("/api/records/search", params={"q": "   "})
        long = await c.get("/api/records/search", params={"q": "x" * 201})
        limit = await c.get("/api/records/search", params={"q": "x", "limit": "0"})
        words = await c.get("/api/records/search", params={"q": "x", "limit": "many"})
    for answer in (missing, blank, long):
        assert answer.status_code == 422
        assert "1 to 200 characters" in answer.json()["detail"]
    for answer in (limit, words):
        assert answer.status_code == 422 and "from 1 to 200" in answer.json()["detail"]


async def test_lineage_of_an_id_with_slashes_and_a_clear_404(store: SqliteStore) -> None:
    await settled(store, "customers", "acc/1", "Contoso Ltd", "10016")
    async with await client(store) as c:
        found = await c.get("/api/lineage/customers/left/acc/1")
        twin = await c.get("/api/lineage/customers/right/10016")
        unknown = await c.get("/api/lineage/customers/left/nobody")
        bad_side = await c.get("/api/lineage/customers/middle/acc/1")
    body = found.json()
    assert body["record"]["label"] == "Contoso Ltd (ACC-1001)"
    assert body["twin"]["record_id"] == "10016" and body["twin"]["lineage_url"] == "/api/lineage/customers/right/10016"
    assert [m["kind"] for m in body["timeline"]] == ["event", "write"]
    assert body["timeline"][1]["detail"]["after"] == {"CompanyName": "Contoso Ltd"}
    assert twin.status_code == 200 and twin.json()["twin"]["record_id"] == "acc/1"
    assert unknown.status_code == 404 and "knows nothing of left record 'nobody'" in unknown.json()["detail"]
    assert bad_side.status_code == 422 and "`left` or `right`" in bad_side.json()["detail"]


async def test_the_record_history_route_still_answers_even_for_a_sync_named_search(store: SqliteStore) -> None:
    await settled(store, "search", "acc-1", "Contoso Ltd", "10016")
    async with await client(store) as c:
        history = await c.get("/api/records/search/left/acc-1")
        found = await c.get("/api/records/search", params={"q": "acc-1"})
    assert history.status_code == 200 and history.json()["twin_id"] == "10016"
    assert [m["sync"] for m in found.json()] == ["search"]


async def test_search_and_lineage_need_a_person_with_a_role(store: SqliteStore) -> None:
    await settled(store, "customers", "acc-1", "Contoso Ltd", "10016")
    async with await client(store, role=None) as c:
        search = await c.get("/api/records/search", params={"q": "contoso"})
        lineage = await c.get("/api/lineage/customers/left/acc-1")
    assert (search.status_code, lineage.status_code) == (401, 401)
