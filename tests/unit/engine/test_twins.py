"""`twin()` in mappings: cross-references through another sync's links, and records that wait for them."""

from __future__ import annotations

import asyncio

from ferry.engine.processor import Processor
from ferry.engine.retry import RetryPolicy
from ferry.engine.spec import SideSpec, SyncSpec
from ferry.engine.store import NewEvent, SqliteStore
from ferry.mapping import compile_mapping
from tests.unit.engine.fakes import FakeSystem, Rename

ORDER_TO_PO = """
version: 1
name: order-to-po
fields:
  Number: {value: number, if_null: fail}
  VendorID: {value: "twin('vendors', vendor)", if_null: fail}
  ExternalID: context.source_id
"""


class Rig:
    def __init__(self, store: SqliteStore) -> None:
        self.store = store
        self.crm, self.erp = FakeSystem("C"), FakeSystem("E")
        vendors = SyncSpec(
            "vendors",
            SideSpec("crm", "vendors"),
            SideSpec("erp", "vendors"),
            maps={"left": Rename("v", {"name": "CompanyName"}, link_to="ExternalID")},
            direction="left_to_right",
            link_field=("right", "ExternalID"),
        )
        orders = SyncSpec(
            "orders",
            SideSpec("crm", "orders"),
            SideSpec("erp", "orders"),
            maps={"left": compile_mapping(ORDER_TO_PO)},
            direction="left_to_right",
            link_field=("right", "ExternalID"),
        )
        self.processor = Processor(
            store,
            {"vendors": vendors, "orders": orders},
            {"crm": self.crm, "erp": self.erp},
            retry=RetryPolicy(max_attempts=3, base_seconds=0.001, max_seconds=0.001, jitter=False),
        )

    async def drain(self) -> list[str]:
        outcomes: list[str] = []
        for _ in range(20):
            claims = await self.store.claim(worker="t", limit=10, lease_seconds=30)
            if not claims:
                await asyncio.sleep(0.005)  # retries are due a millisecond later
                if not await self.store.has_work():
                    break
                continue
            for claim in claims:
                outcomes.append(f"{claim.sync}:{await self.processor.process(claim)}")
        return outcomes


async def test_an_order_names_its_vendor_by_the_target_systems_id(store: SqliteStore) -> None:
    rig = Rig(store)
    vendor = rig.crm.put({"name": "Argon Supply"})
    await store.enqueue([NewEvent("vendors", "left", vendor, version="1")])
    assert await rig.drain() == ["vendors:created"]
    [erp_vendor] = rig.erp.rows

    order = rig.crm.put({"number": "PO-1", "vendor": vendor})
    await store.enqueue([NewEvent("orders", "left", order, version="1")])
    assert await rig.drain() == ["orders:created"]
    [po] = [row for row in rig.erp.rows.values() if "Number" in row]
    assert po == {"Number": "PO-1", "VendorID": erp_vendor, "ExternalID": order}


async def test_an_order_whose_vendor_is_not_synced_yet_syncs_it_first_then_follows(store: SqliteStore) -> None:
    rig = Rig(store)
    vendor = rig.crm.put({"name": "Argon Supply"})  # never notified: the order is what brings it
    order = rig.crm.put({"number": "PO-2", "vendor": vendor})
    await store.enqueue([NewEvent("orders", "left", order, version="1")])
    outcomes = await rig.drain()
    assert outcomes[0] == "orders:waiting" and "vendors:created" in outcomes and outcomes[-1] == "orders:created"
    vendor_link = await store.link("vendors", "left", vendor)
    assert vendor_link is not None
    [po] = [row for row in rig.erp.rows.values() if "Number" in row]
    assert po["VendorID"] == vendor_link.right_id
    assert len(rig.erp.rows) == 2  # one vendor, one order: nothing written without its vendor


async def test_an_order_whose_vendor_never_arrives_ends_in_the_dead_letter_queue_saying_why(
    store: SqliteStore,
) -> None:
    rig = Rig(store)
    order = rig.crm.put({"number": "PO-3", "vendor": "C-missing"})  # a vendor the CRM does not have
    await store.enqueue([NewEvent("orders", "left", order, version="1")])
    outcomes = await rig.drain()
    assert outcomes.count("orders:waiting") == 2 and outcomes[-1] == "orders:dead"
    [letter] = await store.dead_letters(sync="orders")
    assert "vendors record C-missing" in letter.error and "not in erp yet" in letter.error
    assert rig.erp.rows == {}  # the order was never written without its vendor
