from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
from starlette.applications import Starlette

from ferry.core.errors import AuthError, ValidationError
from ferry.core.records import ChangeNotice
from ferry.engine.runtime import Engine
from ferry.engine.spec import MatchRule, SideSpec, SyncSpec
from ferry.engine.store import SqliteStore
from tests.unit.engine.fakes import FakeSystem, Rename


class SignedHooks:
    """A push capability that accepts bodies of the form `secret|record-id`."""

    async def subscribe(self, url: str, entities: Sequence[str], secret: str) -> str:
        return "sub-1"

    async def unsubscribe(self, subscription_id: str) -> None:
        return None

    def parse(self, headers: Mapping[str, str], body: bytes, secret: str) -> list[ChangeNotice]:
        text = body.decode()
        if "|" not in text:
            raise ValidationError("not a delivery")
        given, record_id = text.split("|", 1)
        if given != secret:
            raise AuthError("wrong secret")
        return [ChangeNotice("things", record_id, version=None, event_id=headers.get("x-event"))]


def make_engine(store: SqliteStore, **spec: Any) -> tuple[Engine, FakeSystem, FakeSystem]:
    left, right = FakeSystem("L"), FakeSystem("R")
    left.webhooks = SignedHooks()
    spec = SyncSpec(
        "customers",
        SideSpec("crm", "things"),
        SideSpec("erp", "things"),
        maps={
            "left": Rename("l2r", {"name": "CompanyName"}, link_to="ExternalID"),
            "right": Rename("r2l", {"CompanyName": "name"}),
        },
        link_field=("right", "ExternalID"),
        **spec,
    )
    engine = Engine(store, [spec], {"crm": left, "erp": right}, workers=2, webhook_secrets={"crm": "s3cret"})
    return engine, left, right


async def test_polling_then_workers_sync_every_record_once(store: SqliteStore) -> None:
    engine, left, right = make_engine(store)
    for n in range(25):
        left.put({"name": f"Company {n}"})
    engine.start_workers()
    assert await engine.pollers[0].poll_once() == 25
    async with asyncio.timeout(10):
        await engine.drain()
    await engine.stop()
    assert sorted(r["CompanyName"] for r in right.rows.values()) == sorted(f"Company {n}" for n in range(25))
    assert await engine.pollers[0].poll_once() == 0  # the cursor moved past them


async def test_webhook_deliveries_are_verified_and_enqueued(store: SqliteStore) -> None:
    engine, left, right = make_engine(store)
    record_id = left.put({"name": "Pushed"})
    app = Starlette(routes=engine.receiver.routes())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ferry.test") as client:
        good = await client.post("/hooks/crm", content=f"s3cret|{record_id}", headers={"x-event": "e1"})
        again = await client.post("/hooks/crm", content=f"s3cret|{record_id}", headers={"x-event": "e1"})
        forged = await client.post("/hooks/crm", content=f"guess|{record_id}")
        garbage = await client.post("/hooks/crm", content="nonsense")
        unknown = await client.post("/hooks/erp", content="x")
    assert (good.status_code, good.json()) == (200, {"accepted": 1})
    assert again.status_code == 200
    assert (forged.status_code, garbage.status_code, unknown.status_code) == (401, 400, 404)
    assert "s3cret" not in forged.text
    engine.start_workers()
    async with asyncio.timeout(10):
        await engine.drain()
    await engine.stop()
    assert [r["CompanyName"] for r in right.rows.values()] == ["Pushed"]
    assert len(right.writes) == 1  # the redelivery collapsed into the same event


async def test_stopping_hands_back_unfinished_work(store: SqliteStore) -> None:
    engine, left, _ = make_engine(store)
    for n in range(5):
        left.put({"name": f"C{n}"})
    await engine.pollers[0].poll_once()
    await engine.stop()  # before any worker ran
    counts = {c.sync: c for c in await store.counts()}
    assert counts["customers"].pending == 5


async def test_an_expired_cursor_rereads_everything(store: SqliteStore) -> None:
    from ferry.core.errors import CursorExpiredError

    engine, left, _ = make_engine(store)
    left.put({"name": "A"})
    poller = engine.pollers[0]
    await poller.poll_once()
    original = left.read
    calls: list[str | None] = []

    async def forgetful(entity: str, cursor: str | None, **kw: object) -> object:
        calls.append(cursor)
        if cursor is not None:
            raise CursorExpiredError("the delta token has expired")
        return await original(entity, cursor)

    left.read = forgetful  # type: ignore[method-assign,assignment]
    assert await poller.poll_once() == 1
    assert calls[0] is not None and calls[1] is None


async def test_an_unexpected_failure_is_retried_and_the_worker_lives_on(store: SqliteStore) -> None:
    from ferry.engine.retry import RetryPolicy

    engine, left, right = make_engine(store)
    engine.processor.retry = RetryPolicy(base_seconds=0.01, max_seconds=0.02, jitter=False)
    engine.workers = 1  # one worker: if the failure ended it, nothing would be settled after
    record_id = left.put({"name": "Survivor"})
    left.put({"name": "Second"})
    finish = store.finish
    failed: list[str] = []

    async def power_cut(claim: object, **kwargs: object) -> None:
        if not failed:
            failed.append("once")
            raise RuntimeError("power cut between the write and its record")
        await finish(claim, **kwargs)  # type: ignore[arg-type]

    store.finish = power_cut  # type: ignore[method-assign]
    engine.start_workers()
    await engine.pollers[0].poll_once()
    async with asyncio.timeout(10):
        await engine.drain()
    await engine.stop()
    assert failed == ["once"]
    assert sorted(r["CompanyName"] for r in right.rows.values()) == ["Second", "Survivor"]  # no duplicate
    link = await store.link("customers", "left", record_id)
    assert link is not None and link.right_id is not None


async def test_an_initial_load_matches_existing_twins_from_its_read_without_look_ups(store: SqliteStore) -> None:
    engine, left, right = make_engine(store, match=(MatchRule("name", "CompanyName"),))
    for n in range(20):
        left.put({"name": f"Company {n}"})
    for n in range(5):  # already in the other system, not yet linked
        right.put({"CompanyName": f"company {n} "})  # case and spaces differ, as typed by a person
    finds: list[object] = []
    for system in (left, right):
        real = system.find

        async def counted(entity: str, match: Mapping[str, object], real: Any = real) -> Any:
            finds.append(match)
            return await real(entity, match)

        system.find = counted  # type: ignore[method-assign]

    assert await engine.read_all() == 25
    engine.start_workers()
    async with asyncio.timeout(10):
        await engine.drain()
    await engine.stop()

    assert finds == []  # every twin was looked for in the read's index
    assert len(left.rows) == 20 and len(right.rows) == 20  # five matched, fifteen created, none doubled
    links = await store.links("customers")
    assert len({link.left_id for link in links}) == len({link.right_id for link in links}) == 20
    assert engine.processor.indexes == {}  # live running asks the systems again
