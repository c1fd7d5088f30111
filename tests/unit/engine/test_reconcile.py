"""Reconciliation against two fake systems: what the comparison reports, and what healing queues and fixes."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from ferry.core.errors import ValidationError
from ferry.core.redact import MASK
from ferry.engine.processor import Processor
from ferry.engine.reconcile import NotHealable, Reconciler, UnknownSync, reconcile_every
from ferry.engine.spec import ConflictPolicy, Direction, SideSpec, SyncSpec
from ferry.engine.store import NewEvent, SqliteStore
from ferry.engine.store.base import Side
from ferry.engine.store.reconciliations import STALE_SECONDS, DriftItem, ReconciliationRunning
from tests.unit.engine.fakes import FakeSystem, Rename, drain

LEFT_TO_RIGHT = {"name": "CompanyName", "email": "Email", "password": "Password"}
RIGHT_TO_LEFT = {v: k for k, v in LEFT_TO_RIGHT.items()}


class Rig:
    def __init__(self, store: SqliteStore, direction: Direction = "both", **spec: Any) -> None:
        self.store = store
        self.left, self.right = FakeSystem("L"), FakeSystem("R")
        maps = {"left": Rename("l2r", LEFT_TO_RIGHT, link_to="ExternalID"), "right": Rename("r2l", RIGHT_TO_LEFT)}
        if direction == "left_to_right":
            del maps["right"]
        self.spec = SyncSpec(
            "customers",
            SideSpec("crm", "things"),
            SideSpec("erp", "things"),
            maps=maps,  # type: ignore[arg-type]
            direction=direction,
            link_field=("right", "ExternalID"),
            **spec,
        )
        connectors = {"crm": self.left, "erp": self.right}
        self.processor = Processor(store, {"customers": self.spec}, connectors)
        self.reconciler = Reconciler(store, {"customers": self.spec}, connectors, processor=self.processor)

    async def sync(self, side: Side, record_id: str) -> None:
        system = self.left if side == "left" else self.right
        await self.store.enqueue([NewEvent("customers", side, record_id, version=str(system.versions[record_id]))])
        await self.drain()

    async def drain(self) -> list[str]:
        return await drain(self.store, self.processor)

    async def drift(self) -> tuple[int, list[DriftItem], dict[str, int]]:
        report = await self.reconciler.run("customers")
        assert report.state == "done", report.error
        items, total = await self.store.reconciliations.items(report.id)
        assert total == len(items)
        return report.id, items, report.counts

    async def settled_pair(self, name: str = "Acme") -> tuple[str, str]:
        left_id = self.left.put({"name": name, "email": f"{name.lower()}@x.test", "password": "p"})
        await self.sync("left", left_id)
        link = await self.store.link("customers", "left", left_id)
        assert link is not None and link.right_id is not None
        return left_id, link.right_id


async def test_systems_in_step_show_no_drift(store: SqliteStore) -> None:
    rig = Rig(store)
    await rig.settled_pair("Acme")
    await rig.settled_pair("Bolt")
    _, items, counts = await rig.drift()
    assert items == []
    assert counts["left"] == counts["right"] == counts["pairs"] == 2
    assert counts["different"] == counts["missing_left"] == counts["missing_right"] == 0


async def test_a_field_changed_behind_ferrys_back_is_reported_then_healed(store: SqliteStore) -> None:
    rig = Rig(store, direction="left_to_right")
    left_id, right_id = await rig.settled_pair()
    rig.right.put({"CompanyName": "Acme (typo)", "Password": "changed"}, right_id)  # no notice reaches ferry

    report, [item], counts = await rig.drift()

    assert (item.kind, item.left_id, item.right_id, item.source) == ("different", left_id, right_id, "left")
    assert {(f.field, f.want, f.have) for f in item.fields} == {
        ("CompanyName", "Acme", "Acme (typo)"),
        ("Password", MASK, MASK),  # sensitive: shown as changed, never as its values
    }
    assert counts["different"] == 1
    summary = await rig.reconciler.heal(report)
    assert (summary.queued, summary.already_queued, summary.cannot_fix) == (1, 0, 0)
    assert await rig.drain() == ["updated"]  # although the left record did not change since it was synced
    assert rig.right.rows[right_id]["CompanyName"] == "Acme"
    assert (await rig.drift())[1] == []


async def test_healing_a_report_twice_queues_nothing_the_second_time(store: SqliteStore) -> None:
    rig = Rig(store)
    rig.left.put({"name": "Unsynced", "email": "u@x.test"})
    report, [item], _ = await rig.drift()
    first = await rig.reconciler.heal(report)
    second = await rig.reconciler.heal(report)
    assert (first.queued, second.queued, second.already_queued) == (1, 0, 1)
    assert await rig.drain() == ["created"]
    assert len(rig.right.rows) == 1
    [healed], _ = await store.reconciliations.items(report)
    assert healed.heal == "already queued"
    assert (await store.reconciliations.get(report)).heal == {  # type: ignore[union-attr]
        "queued": 0,
        "already_queued": 1,
        "forgotten": 0,
        "cannot_fix": 0,
    }


async def test_records_without_their_twin_are_missing_on_the_other_side(store: SqliteStore) -> None:
    rig = Rig(store)
    gone_left, gone_right = await rig.settled_pair("Gone")
    rig.right.deleted.add(gone_right)  # deleted in the right system; ferry never heard
    new_left = rig.left.put({"name": "New", "email": "n@x.test"})
    new_right = rig.right.put({"CompanyName": "Typed in ERP", "Email": "t@x.test"})

    report, items, counts = await rig.drift()

    found = {(i.kind, i.left_id, i.right_id, i.source, i.note) for i in items}
    assert found == {
        (
            "missing_right",
            gone_left,
            gone_right,
            "left",
            f"its twin {gone_right} no longer exists (or is outside the sync's filters)",
        ),
        ("missing_right", new_left, None, "left", "no twin"),
        ("missing_left", None, new_right, "right", "no twin"),
    }
    assert (counts["missing_left"], counts["missing_right"], counts["pairs"]) == (1, 2, 0)
    await rig.reconciler.heal(report)
    assert sorted(await rig.drain()) == ["created", "created", "created"]
    assert (await rig.drift())[1] == []


async def test_a_one_way_targets_extra_record_cannot_be_fixed_and_says_so(store: SqliteStore) -> None:
    rig = Rig(store, direction="left_to_right")
    extra = rig.right.put({"CompanyName": "Only in ERP"})
    report, [item], _ = await rig.drift()
    assert (item.kind, item.right_id, item.source) == ("missing_left", extra, "right")
    summary = await rig.reconciler.heal(report)
    assert (summary.queued, summary.cannot_fix) == (0, 1)
    [healed], _ = await store.reconciliations.items(report)
    assert healed.heal is not None and healed.heal.startswith("cannot fix: sync 'customers' does not write")
    assert await rig.drain() == []


async def test_a_one_way_source_deleted_unnoticed_deletes_its_twin_when_healed(store: SqliteStore) -> None:
    rig = Rig(store, direction="left_to_right")
    left_id, right_id = await rig.settled_pair()
    rig.left.deleted.add(left_id)
    report, [item], _ = await rig.drift()
    assert (item.kind, item.left_id, item.right_id, item.source) == ("missing_left", left_id, right_id, "right")
    await rig.reconciler.heal(report)
    assert await rig.drain() == ["deleted"]
    assert right_id in rig.right.deleted
    assert (await rig.drift())[1] == []


async def test_under_newest_wins_the_side_a_person_changed_last_is_authoritative(store: SqliteStore) -> None:
    rig = Rig(store)
    left_id, right_id = await rig.settled_pair()
    rig.right.put({"Email": "new@x.test"}, right_id)
    report, [item], _ = await rig.drift()
    assert (item.kind, item.source) == ("different", "right")
    assert [(f.field, f.want, f.have) for f in item.fields] == [("email", "new@x.test", "acme@x.test")]
    await rig.reconciler.heal(report)
    await rig.drain()
    assert rig.left.rows[left_id]["email"] == "new@x.test"
    assert (await rig.drift())[1] == []


async def test_a_system_of_record_is_compared_from_its_side(store: SqliteStore) -> None:
    rig = Rig(store, conflicts=ConflictPolicy("system_of_record", "left"))
    _, right_id = await rig.settled_pair()
    rig.right.put({"Email": "new@x.test"}, right_id)
    _, [item], _ = await rig.drift()
    assert (item.source, [(f.field, f.want) for f in item.fields]) == ("left", [("Email", "acme@x.test")])


async def test_review_differences_are_left_to_a_person(store: SqliteStore) -> None:
    rig = Rig(store, conflicts=ConflictPolicy("review"))
    _, right_id = await rig.settled_pair()
    rig.right.put({"Email": "new@x.test"}, right_id)
    report, items, _ = await rig.drift()
    assert {i.source for i in items} == {"left", "right"}  # compared both ways
    summary = await rig.reconciler.heal(report)
    assert summary.cannot_fix == 2 and summary.queued == 0


async def test_a_link_to_two_vanished_records_is_forgotten(store: SqliteStore) -> None:
    rig = Rig(store)
    left_id, right_id = await rig.settled_pair()
    rig.left.deleted.add(left_id)
    rig.right.deleted.add(right_id)
    report, [item], _ = await rig.drift()
    assert (item.kind, item.left_id, item.right_id) == ("orphan_link", left_id, right_id)
    assert (await rig.reconciler.heal(report)).forgotten == 1
    link = await store.link("customers", "left", left_id)
    assert link is not None and link.deleted
    assert (await rig.drift())[1] == []


async def test_only_one_reconciliation_of_a_sync_runs_at_a_time(store: SqliteStore) -> None:
    rig = Rig(store)
    running = await store.reconciliations.start("customers", "test")
    with pytest.raises(ReconciliationRunning) as refused:
        await rig.reconciler.run("customers")
    assert refused.value.running == running
    with pytest.raises(NotHealable, match="still running"):
        await rig.reconciler.heal(running)


async def test_an_unknown_sync_names_the_ones_there_are(store: SqliteStore) -> None:
    rig = Rig(store)
    with pytest.raises(UnknownSync, match="its syncs are: customers"):
        await rig.reconciler.run("orders")


async def test_progress_hears_how_many_records_each_side_read(store: SqliteStore) -> None:
    rig = Rig(store)
    await rig.settled_pair()
    heard: list[tuple[Side, int]] = []
    await rig.reconciler.run("customers", progress=lambda side, n: heard.append((side, n)))
    assert sorted(heard) == [("left", 1), ("right", 1)]


async def test_a_schedule_compares_every_interval_and_heals_when_asked(store: SqliteStore) -> None:
    rig = Rig(store)
    rig.left.put({"name": "Unsynced", "email": "u@x.test"})
    schedule = asyncio.create_task(reconcile_every(rig.reconciler, "customers", 0.05, heal=True))
    try:
        for _ in range(1000):
            if len(reports := await store.reconciliations.recent(sync="customers")) >= 2:
                break
            await asyncio.sleep(0.01)
    finally:
        schedule.cancel()
    assert {r.started_by for r in reports} == {"schedule"}
    assert reports[-1].heal is not None and reports[-1].heal["queued"] == 1


class Nest(Rename):
    """Left `phone` into the right record's nested `Contact.Phone`."""

    def apply(
        self, record: dict[str, Any], *, context: dict[str, Any] | None = None, creating: bool = False
    ) -> dict[str, Any]:
        return {**super().apply(record, context=context), "Contact": {"Phone": record.get("phone"), "Kind": "main"}}


async def test_a_nested_objects_differences_are_named_by_path(store: SqliteStore) -> None:
    rig = Rig(store, direction="left_to_right")
    rig.spec.maps["left"] = Nest("l2r", LEFT_TO_RIGHT, link_to="ExternalID")  # type: ignore[index]
    rig.spec.maps["left"].fields_written |= {"Contact.Phone", "Contact.Kind"}
    left_id, right_id = await rig.settled_pair()
    rig.left.put({"phone": "+1 555 0100"}, left_id)
    _, [item], _ = await rig.drift()
    assert [(f.field, f.want, f.have) for f in item.fields] == [("Contact.Phone", "+1 555 0100", None)]


async def test_a_report_whose_process_died_is_failed_by_the_next_start(tmp_path: Path) -> None:
    now = [1000.0]
    store = SqliteStore(tmp_path / "clocked.db", clock=lambda: now[0])
    await store.open()
    try:
        reports = store.reconciliations
        alive = await reports.start("customers", "cli")
        now[0] += 200
        await reports.beat(alive)  # still reading
        now[0] += 200
        with pytest.raises(ReconciliationRunning):
            await reports.start("customers", "api")
        now[0] += STALE_SECONDS + 1  # no beat since: its process is gone
        fresh = await reports.start("customers", "api")
        dead = await reports.get(alive)
        assert dead is not None and (dead.state, dead.error) == (
            "failed",
            "stopped before it finished (its process ended)",
        )
        assert fresh != alive
    finally:
        await store.close()


async def test_a_record_without_a_twin_because_it_failed_says_why(store: SqliteStore) -> None:
    rig = Rig(store)
    left_id = rig.left.put({"name": "Refused", "email": "r@x.test"})
    rig.right.fail_next_write.append(ValidationError("422 CompanyName is too long"))
    await rig.sync("left", left_id)
    _, [item], _ = await rig.drift()
    assert (item.kind, item.left_id) == ("missing_right", left_id)
    assert item.note == "no twin; in the dead-letter queue: 422 CompanyName is too long"
