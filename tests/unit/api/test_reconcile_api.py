"""The control API's reconciliation routes, over two fake systems."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from ferry.core.records import Page
from ferry.engine.store import SqliteStore
from tests.unit.api.clients import api_client
from tests.unit.engine.test_reconcile import Rig


async def client(rig: Rig, role: str | None = "operator") -> httpx.AsyncClient:
    return await api_client(rig.store, role, reconciler=rig.reconciler)


async def finished(c: httpx.AsyncClient, report_id: int, query: str = "") -> dict[str, Any]:
    async with asyncio.timeout(10):
        while True:
            body: dict[str, Any] = (await c.get(f"/api/reconciliations/{report_id}{query}")).json()
            if body["state"] != "running":
                return body
            await asyncio.sleep(0.01)


async def test_a_reconciliation_starts_in_the_background_and_reports_its_drift_paged(store: SqliteStore) -> None:
    rig = Rig(store)
    await rig.settled_pair()
    for n in range(3):
        rig.left.put({"name": f"New {n}", "email": f"n{n}@x.test"})
    async with await client(rig) as c:
        started = await c.post("/api/reconciliations", json={"sync": "customers"})
        assert started.status_code == 202
        body = started.json()
        assert body["url"] == f"/reconciliation/{body['id']}" and body["state"] == "running"
        done = await finished(c, body["id"], "?limit=2&offset=1")
        only_different = (await c.get(f"/api/reconciliations/{body['id']}?kind=different")).json()
        listed = (await c.get("/api/reconciliations")).json()
    assert done["state"] == "done" and done["drift"] == 3 and done["counts"]["missing_right"] == 3
    assert done["items_total"] == 3 and [i["number"] for i in done["items"]] == [2, 3]
    assert done["items"][0]["records"] == {"left": f"/records/customers/left/{done['items'][0]['left_id']}"}
    assert (only_different["items"], only_different["items_total"]) == ([], 0)
    assert listed["latest"] == {"customers": {**done, "items": None, "items_total": None}}
    assert [r["id"] for r in listed["recent"]] == [body["id"]]


async def test_heal_queues_the_fixes_and_says_what_it_cannot_fix(store: SqliteStore) -> None:
    rig = Rig(store, direction="left_to_right")
    rig.left.put({"name": "New", "email": "n@x.test"})
    extra = rig.right.put({"CompanyName": "Only in ERP"})
    async with await client(rig) as c:
        report = (await c.post("/api/reconciliations", json={"sync": "customers"})).json()["id"]
        await finished(c, report)
        healed = (await c.post(f"/api/reconciliations/{report}/heal")).json()
        shown = await finished(c, report)
    assert (healed["queued"], healed["cannot_fix"], healed["reconciliation"]) == (1, 1, report)
    [not_fixed] = healed["not_fixed"]
    assert not_fixed["right_id"] == extra and not_fixed["heal"].startswith("cannot fix:")
    assert shown["heal"] == {"queued": 1, "already_queued": 0, "forgotten": 0, "cannot_fix": 1}
    assert await rig.drain() == ["created"]


async def test_refusals_say_what_is_wrong(store: SqliteStore) -> None:
    rig = Rig(store)
    running = await store.reconciliations.start("customers", "cli")
    async with await client(rig) as c:
        unknown = await c.post("/api/reconciliations", json={"sync": "orders"})
        busy = await c.post("/api/reconciliations", json={"sync": "customers", "heal": True})
        busy_heal = await c.post(f"/api/reconciliations/{running}/heal")
        missing = await c.get("/api/reconciliations/999")
        missing_heal = await c.post("/api/reconciliations/999/heal")
        wrong = await c.post("/api/reconciliations", json={"sync": "customers", "everything": True})
        unknown_list = await c.get("/api/reconciliations?sync=orders")
    assert unknown.status_code == 404 and "its syncs are: customers" in unknown.json()["detail"]
    assert busy.status_code == 409 and f"Reconciliation {running} of 'customers' is running" in busy.json()["detail"]
    assert busy_heal.status_code == 409 and "still running" in busy_heal.json()["detail"]
    assert missing.status_code == missing_heal.status_code == 404
    assert "There is no reconciliation 999" in missing.json()["detail"]
    assert wrong.status_code == 422
    assert unknown_list.status_code == 404


async def test_a_running_reconciliation_shows_how_many_records_each_side_has_read(store: SqliteStore) -> None:
    rig = Rig(store)
    await rig.settled_pair()
    gate = asyncio.Event()
    read = rig.left.read

    async def slow_read(entity: str, cursor: str | None, *, page_size: int = 500) -> Page:
        await gate.wait()
        return await read(entity, cursor, page_size=page_size)

    rig.left.read = slow_read  # type: ignore[method-assign]
    async with await client(rig) as c:
        report = (await c.post("/api/reconciliations", json={"sync": "customers"})).json()["id"]
        for _ in range(100):  # until the right side's one page is read
            running = (await c.get(f"/api/reconciliations/{report}")).json()
            if running["read"] != {"left": 0, "right": 0}:
                break
            await asyncio.sleep(0.01)
        gate.set()
        done = await finished(c, report)
    assert (running["state"], running["read"]) == ("running", {"left": 0, "right": 1})
    assert (done["state"], done["read"]) == ("done", None)


async def test_viewers_read_reports_and_operators_start_and_heal_them(store: SqliteStore) -> None:
    rig = Rig(store)
    report = (await rig.reconciler.run("customers")).id
    async with await client(rig, "viewer") as viewer, await client(rig, None) as nobody:
        read = await viewer.get(f"/api/reconciliations/{report}")
        start = await viewer.post("/api/reconciliations", json={"sync": "customers"})
        heal = await viewer.post(f"/api/reconciliations/{report}/heal")
        anonymous = await nobody.get("/api/reconciliations")
    assert read.status_code == 200
    assert start.status_code == heal.status_code == 403
    assert anonymous.status_code == 401
