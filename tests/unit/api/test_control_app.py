from __future__ import annotations

import httpx

from ferry.engine.breaker import CircuitBreaker
from ferry.engine.store import AuditEntry, Link, NewEvent, SqliteStore
from tests.unit.api.clients import api_client


async def client(store: SqliteStore, breakers: dict[str, CircuitBreaker] | None = None) -> httpx.AsyncClient:
    return await api_client(store, "operator", breakers=breakers)


async def dead(store: SqliteStore, record: str) -> int:
    await store.enqueue([NewEvent("customers", "left", record, version="1", payload={"name": record})])
    [claim] = await store.claim(worker="w", limit=1, lease_seconds=30)
    return await store.dead_letter(
        claim, error_class="ValidationError", error="422 credit limit", payload={"name": record}
    )


async def test_sync_status_counts_and_lag(store: SqliteStore) -> None:
    await store.enqueue([NewEvent("customers", "left", "a", version="1")])
    async with await client(store) as c:
        [status] = (await c.get("/api/syncs")).json()
    assert (status["sync"], status["pending"], status["failed"]) == ("customers", 1, 0)
    assert status["lag_seconds"] >= 0


async def test_dead_letters_list_show_replay_and_drop(store: SqliteStore) -> None:
    first, second = await dead(store, "a"), await dead(store, "b")
    async with await client(store) as c:
        listed = (await c.get("/api/dead-letters")).json()
        shown = (await c.get(f"/api/dead-letters/{first}")).json()
        replayed = await c.post(f"/api/dead-letters/{first}/replay")
        again = await c.post(f"/api/dead-letters/{first}/replay")
        dropped = await c.post(f"/api/dead-letters/{second}/drop", json={"reason": "test data"})
        no_reason = await c.post(f"/api/dead-letters/{second}/drop", json={})
        missing = await c.get("/api/dead-letters/999")
    assert [d["record_id"] for d in listed] == ["a", "b"] and listed[0]["payload"] is None
    assert shown["payload"] == {"name": "a"}
    assert replayed.json()["state"] == "replayed"
    assert again.status_code == 409
    assert (dropped.json()["state"], dropped.json()["reason"]) == ("dropped", "test data")
    assert no_reason.status_code == 422
    assert missing.status_code == 404
    [claim] = await store.claim(worker="w", limit=5, lease_seconds=30)
    assert claim.record_id == "a"


async def test_record_history_shows_the_twin_and_the_audit(store: SqliteStore) -> None:
    await store.enqueue([NewEvent("customers", "left", "a", version="1")])
    [claim] = await store.claim(worker="w", limit=1, lease_seconds=30)
    await store.finish(
        claim,
        link=Link("customers", "a", "10001"),
        audit=[AuditEntry("customers", "left", "a", "created", {"changes": {"Name": "A"}}, "10001")],
    )
    async with await client(store) as c:
        mine = (await c.get("/api/records/customers/left/a")).json()
        theirs = (await c.get("/api/records/customers/right/10001")).json()
        unknown = await c.get("/api/records/customers/left/zzz")
    assert mine["twin_id"] == "10001"
    assert [a["action"] for a in mine["audit"]] == ["created"]
    assert theirs["twin_id"] == "a"
    assert unknown.status_code == 404


async def test_the_history_of_a_record_whose_id_has_a_slash_is_found(store: SqliteStore) -> None:
    # A TIMS inventory row is its SKU in a warehouse, `WR-6011/MAIN`; a shop stock level `<item>/<location>`.
    await store.enqueue([NewEvent("shop-stock", "right", "WR-6011/MAIN", version="3")])
    [claim] = await store.claim(worker="w", limit=1, lease_seconds=30)
    note = {"note": "the shop sells no SKU WR-6011 at location 71013579357"}
    await store.finish(claim, link=None, audit=[AuditEntry("shop-stock", "right", "WR-6011/MAIN", "skipped", note)])
    async with await client(store) as c:
        found = await c.get("/api/records/shop-stock/right/WR-6011/MAIN")
    assert found.status_code == 200, found.text
    assert [(a["action"], a["detail"]) for a in found.json()["audit"]] == [("skipped", note)]


async def test_connection_health_reports_paused_circuits(store: SqliteStore) -> None:
    breaker = CircuitBreaker()
    breaker.pause("401 from TIMS")
    async with await client(store, {"tims": breaker, "d365": CircuitBreaker()}) as c:
        states = {s["connection"]: s for s in (await c.get("/api/connections")).json()}
        spec = (await c.get("/openapi.json")).json()
    assert states["tims"]["circuit"] == "open" and states["tims"]["paused_reason"] == "401 from TIMS"
    assert states["d365"]["circuit"] == "closed"
    assert "/api/dead-letters/{letter_id}/replay" in spec["paths"]
