"""Workflow runs, step by step, against in-memory systems (end-to-end tests use the sandboxes)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from ferry.core.errors import TransientError, ValidationError
from ferry.core.records import ChangeNotice, Record
from ferry.engine.retry import RetryPolicy
from ferry.engine.runtime import Engine
from ferry.engine.spec import SideSpec, SyncSpec
from ferry.engine.store import SqliteStore
from ferry.engine.store.base import NewEvent, Run
from ferry.workflow import load
from tests.unit.engine.fakes import FakeSystem, Rename

FAST = RetryPolicy(base_seconds=0.01, max_seconds=0.05, max_attempts=4)

ORDER_FLOW = """
version: 1
trigger: {connection: shop, entity: orders, when: "status != 'test'"}
steps:
  - name: customer
    ensure:
      connection: erp
      entity: customers
      match: {Email: trigger.email}
      map: {fields: {Email: trigger.email, Name: trigger.name}}
  - name: order
    create:
      connection: erp
      entity: orders
      map:
        fields:
          Customer: steps.customer.id
          Total: trigger.total
        lists:
          Lines: {from: trigger.lines, fields: {Sku: sku, Qty: qty}}
    compensate:
      update: {connection: erp, entity: orders, id: steps.order.id, map: {fields: {Status: "'Cancelled'"}}}
  - name: route
    branch:
      - when: trigger.total > 1000
        steps:
          - name: big
            set: {fields: {lane: "'manual'"}}
      - steps:
          - name: small
            set: {fields: {lane: "'auto'"}}
  - name: invoice
    create:
      connection: erp
      entity: invoices
      map: {fields: {Order: steps.order.id, Amount: trigger.total}}
"""


class Harness:
    def __init__(self, engine: Engine, shop: FakeSystem, erp: FakeSystem, store: SqliteStore) -> None:
        self.engine, self.shop, self.erp, self.store = engine, shop, erp, store

    async def order(self, record_id: str, times: int = 1, **data: Any) -> None:
        """The shop reports an order (as a webhook would, `times` times with distinct delivery ids)."""
        payload = {"email": "ann@example.com", "name": "Ann", "total": 100, "status": "open", "lines": [], **data}
        for n in range(times):
            event = NewEvent("flow", "left", record_id, payload=payload, source="webhook", event_id=f"d{n}")
            await self.store.enqueue([event])
        self.engine.wake()

    async def settle(self) -> None:
        async with asyncio.timeout(20):
            await self.engine.drain()

    async def run(self, key: str) -> Run:
        found = await self.store.runs.find("flow", key)
        assert found is not None
        return found

    async def reaches(self, key: str, state: str, within: float = 5.0) -> Run:
        """The run once it is in `state` (runs that wait are due later, so draining is not enough)."""
        run = None
        for _ in range(int(within / 0.05)):
            run = await self.store.runs.find("flow", key)
            if run is not None and run.state == state:
                return run
            await asyncio.sleep(0.05)
        seen = f"{run.state} ({run.reason})" if run else "not started"
        raise AssertionError(f"run {key} is {seen}, not {state}, after {within} s")

    def created(self, entity: str) -> list[dict[str, Any]]:
        return [op.data for op in self.erp.writes if op.kind.value == "create" and op.entity == entity]


def plan(tmp_path: Path, text: str = ORDER_FLOW) -> Any:
    path = tmp_path / "flow.yaml"
    path.write_text(text)
    return load(path, name="flow")


@pytest.fixture
async def h(tmp_path: Path, store: SqliteStore) -> AsyncIterator[Harness]:
    async with harness(tmp_path, store) as made:
        yield made


class harness:
    def __init__(self, tmp_path: Path, store: SqliteStore, text: str = ORDER_FLOW, syncs: list[SyncSpec] | None = None):
        self.tmp_path, self.store, self.text, self.syncs = tmp_path, store, text, syncs or []
        self.shop, self.erp = FakeSystem("S"), FakeSystem("E")

    async def __aenter__(self) -> Harness:
        connectors = {"shop": self.shop, "erp": self.erp}
        self.engine = Engine(
            self.store, self.syncs, connectors, workers=2, retry=FAST, workflows=[plan(self.tmp_path, self.text)]
        )
        self.engine.start_workers()
        return Harness(self.engine, self.shop, self.erp, self.store)

    async def __aexit__(self, *exc: object) -> None:
        await self.engine.stop()


async def test_a_trigger_notified_ten_times_starts_one_run_that_completes_every_step(h: Harness) -> None:
    await h.order("o1", times=10)
    await h.settle()
    run = await h.run("o1")
    assert run.state == "completed"
    assert [name for name, r in run.steps.items() if r.state == "done"] == [
        "customer",
        "order",
        "route",
        "small",
        "invoice",
    ]
    assert "big" not in run.steps
    assert len(h.created("orders")) == 1 and len(h.created("invoices")) == 1
    order = h.created("orders")[0]
    assert order["Customer"] == run.steps["customer"].output["id"]
    assert h.created("invoices")[0]["Order"] == run.steps["order"].output["id"]
    assert run.steps["order"].input == {"create": order}


async def test_the_trigger_condition_keeps_records_out(h: Harness) -> None:
    await h.order("o1", status="test")
    await h.settle()
    assert await h.store.runs.find("flow", "o1") is None


async def test_a_branch_takes_the_first_true_case_and_remembers_it(h: Harness) -> None:
    await h.order("o1", total=5000)
    await h.settle()
    run = await h.run("o1")
    assert run.steps["route"].output == {"case": 0}
    assert run.steps["big"].output == {"lane": "manual"} and "small" not in run.steps


async def test_ensure_matches_an_existing_record_instead_of_creating_one(h: Harness) -> None:
    existing = h.erp.put({"Email": "ann@example.com", "Name": "Ann Old"})
    await h.order("o1")
    await h.settle()
    run = await h.run("o1")
    assert run.steps["customer"].output["id"] == existing
    assert h.created("customers") == []


async def test_two_runs_ensuring_the_same_new_record_at_once_create_it_once(h: Harness) -> None:
    h.erp.interleave = True  # every call yields, so both runs would look before either creates
    await h.order("o1", email="new@example.com")
    await h.order("o2", email="new@example.com")
    await h.settle()
    first, second = await h.run("o1"), await h.run("o2")
    assert first.state == second.state == "completed"
    assert len(h.created("customers")) == 1
    assert first.steps["customer"].output["id"] == second.steps["customer"].output["id"]


async def test_a_transient_failure_is_retried_without_repeating_the_steps_before_it(h: Harness) -> None:
    h.erp.fail_next_write = [TransientError("503 from the ERP"), TransientError("503 again")]
    await h.order("o1")
    await h.settle()
    run = await h.reaches("o1", "completed", within=20)  # a loaded machine may drain before a retry is due
    # The customer create failed twice and then went through; each later step ran once.
    assert len(h.created("customers")) == 3 and len(h.created("orders")) == 1
    assert run.steps["customer"].attempts == 3


async def test_a_step_the_target_refuses_holds_the_run_and_a_retry_resumes_at_that_step(h: Harness) -> None:
    await h.order("o1")
    h.erp.fail_next_write = []
    original = h.erp.write

    async def refuse_invoices(ops: Any) -> Any:
        if any(op.entity == "invoices" for op in ops):
            from ferry.core.records import WriteResult

            return [WriteResult(False, error=ValidationError("credit limit exceeded for customer E1"))]
        return await original(ops)

    h.erp.write = refuse_invoices  # type: ignore[method-assign]
    await h.settle()
    run = await h.run("o1")
    assert run.state == "held" and run.step == "invoice"
    assert run.reason == "invoice: credit limit exceeded for customer E1"
    assert run.steps["invoice"].state == "failed"

    h.erp.write = original  # type: ignore[method-assign]
    assert await h.store.runs.retry(run.id) is not None
    h.engine.wake()
    await h.settle()
    run = await h.run("o1")
    assert run.state == "completed" and run.generation == 1
    assert len(h.created("orders")) == 1 and len(h.created("invoices")) == 1  # the order was not made again


async def test_compensation_undoes_finished_steps_newest_first(tmp_path: Path, store: SqliteStore) -> None:
    text = ORDER_FLOW.replace("version: 1\n", "version: 1\non_failure: compensate\n").replace(
        "  - name: invoice\n", "  - name: stop\n    fail: {reason: \"'out of stock'\"}\n  - name: invoice\n"
    )
    async with harness(tmp_path, store, text) as h:
        await h.order("o1")
        await h.settle()
        run = await h.run("o1")
        assert run.state == "compensated" and run.reason == "stop: out of stock"
        order_id = run.steps["order"].output["id"]
        assert h.erp.rows[order_id]["Status"] == "Cancelled"
        assert run.steps["order.compensate"].state == "compensated"
        assert h.created("invoices") == []


async def test_a_review_step_holds_the_run_until_a_person_approves_it(tmp_path: Path, store: SqliteStore) -> None:
    text = ORDER_FLOW.replace(
        "  - name: invoice\n",
        "  - name: approval\n    when: trigger.total > 1000\n"
        "    review: {reason: \"'orders over 1,000 need approval'\"}\n"
        "  - name: invoice\n",
    )
    async with harness(tmp_path, store, text) as h:
        await h.order("small", total=10)
        await h.order("big", total=5000)
        await h.settle()
        assert (await h.run("small")).steps["approval"].state == "skipped"
        held = await h.run("big")
        assert held.state == "held" and held.reason == "orders over 1,000 need approval"
        assert len(h.created("invoices")) == 1
        await h.store.runs.retry(held.id)
        h.engine.wake()
        await h.settle()
        run = await h.run("big")
        assert run.state == "completed" and run.steps["approval"].output["approved"] is True
        assert len(h.created("invoices")) == 2


WAIT_FLOW = """
version: 1
trigger: {connection: shop, entity: orders}
steps:
  - name: order
    create: {connection: erp, entity: orders, map: {fields: {Total: trigger.total}}}
  - name: shipped
    wait:
      connection: erp
      entity: shipments
      match: {Order: steps.order.id}
      until: record.Carrier != null
      every: 30s
  - name: pause
    wait: {seconds: 0.2}
  - name: done
    set: {fields: {tracking: steps.shipped.Tracking}}
"""


async def test_a_wait_for_a_record_is_woken_by_the_systems_notice(tmp_path: Path, store: SqliteStore) -> None:
    async with harness(tmp_path, store, WAIT_FLOW) as h:
        await h.order("o1")
        await h.settle()  # nothing due: the run waits (for 30 s unless woken)
        run = await h.run("o1")
        assert run.state == "waiting" and run.step == "shipped"
        order_id = run.steps["order"].output["id"]
        shipment = h.erp.put({"Order": order_id, "Carrier": None})
        h.engine.receiver.observers[0]("erp", [ChangeNotice("shipments", shipment, record=h.erp.record(shipment))])
        await asyncio.sleep(0.3)
        assert (await h.run("o1")).step == "shipped"  # woken, looked, and the condition is not met yet

        h.erp.put({"Carrier": "UPS", "Tracking": "1Z999"}, shipment)
        notice = ChangeNotice("shipments", shipment, record=Record("shipments", shipment, h.erp.rows[shipment]))
        h.engine.receiver.observers[0]("erp", [notice])
        run = await h.reaches("o1", "completed")
        assert run.steps["done"].output == {"tracking": "1Z999"}
        assert run.steps["pause"].output["waited"] >= 0.2


SYNC_FLOW = """
version: 1
trigger: {connection: shop, entity: orders}
steps:
  - name: account
    create: {connection: shop, entity: accounts, map: {fields: {name: trigger.name}}}
  - name: erp_customer
    sync: {sync: customers, side: left, id: steps.account.id}
  - name: order
    create: {connection: erp, entity: orders, map: {fields: {Customer: steps.erp_customer.id}}}
"""


async def test_a_sync_step_settles_a_record_through_the_projects_sync_and_gives_its_twin(
    tmp_path: Path, store: SqliteStore
) -> None:
    customers = SyncSpec(
        "customers",
        SideSpec("shop", "accounts"),
        SideSpec("erp", "customers"),
        {"left": Rename("a2c", {"name": "Name"})},
        direction="left_to_right",
    )
    async with harness(tmp_path, store, SYNC_FLOW, [customers]) as h:
        await h.order("o1")
        await h.settle()
        # The run waits for the sync and is woken when it settles, which can come after the drain.
        run = await h.reaches("o1", "completed", within=10)
        account = run.steps["account"].output["id"]
        link = await store.link("customers", "left", account)
        assert link is not None and run.steps["erp_customer"].output == {"id": link.right_id, "record_id": account}
        assert h.erp.rows[link.right_id]["Name"] == "Ann"
        assert h.created("orders") == [{"Customer": link.right_id}]
