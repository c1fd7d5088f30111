"""Incremental reads: every record once, across pages, ties, changes while paging and deletes."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterator

import pytest

from ferry.connectors.tims import TimsConnector
from ferry.core.errors import ConfigError, PermanentError
from ferry.core.records import WriteKind, WriteOp
from ferry.sandboxes.kit import ManualClock
from tests.connectors.tims.conftest import Tims, drain, serve


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def frozen(clock: ManualClock) -> Iterator[Tims]:
    """A sandbox whose clock moves only when told: every write in between shares one ModifiedAt."""
    yield from serve(clock)


@pytest.fixture
async def frozen_connector(frozen: Tims) -> AsyncIterator[TimsConnector]:
    c = TimsConnector(frozen.config())
    yield c
    await c.aclose()


async def create_customers(connector: TimsConnector, count: int, prefix: str) -> list[str]:
    ops = [WriteOp(WriteKind.CREATE, "customers", {"CompanyName": f"{prefix} {n}"}) for n in range(count)]
    results = await connector.write(ops)
    assert all(r.ok for r in results), results
    return [r.id for r in results if r.id]


async def test_an_initial_read_walks_every_customer_exactly_once(tims: Tims, connector: TimsConnector) -> None:
    records, _ = await drain(connector, "customers", page_size=7)

    assert Counter(r.id for r in records).most_common(1)[0][1] == 1
    assert {r.id for r in records} == tims.ids("customers")


async def test_records_are_oldest_change_first_with_version_and_modified_at(connector: TimsConnector) -> None:
    page = await connector.read("customers", None, page_size=10)

    stamps = [r.modified_at for r in page.records]
    assert None not in stamps and stamps == sorted(stamps)  # type: ignore[type-var]
    assert all(r.version == str(r.data["Version"]) for r in page.records)
    assert page.more


async def test_records_sharing_one_modified_at_across_pages_come_once_each(
    frozen: Tims, frozen_connector: TimsConnector, clock: ManualClock
) -> None:
    _, cursor = await drain(frozen_connector, "customers")
    clock.advance(1)
    group = await create_customers(frozen_connector, 12, "Tie")  # one millisecond, three pages' worth

    records, _ = await drain(frozen_connector, "customers", cursor, page_size=5)

    assert [r.id for r in records] == group


async def test_records_changing_while_paging_through_a_tie_are_neither_lost_nor_repeated(
    frozen: Tims, frozen_connector: TimsConnector, clock: ManualClock
) -> None:
    _, cursor = await drain(frozen_connector, "customers")
    clock.advance(1)
    group = await create_customers(frozen_connector, 12, "Shift")
    seen = []
    for _ in range(3):
        page = await frozen_connector.read("customers", cursor, page_size=4)
        seen.extend(page.records)
        cursor = page.cursor
    read_first = [r.id for r in seen]
    assert len(read_first) >= 5

    # Three records already read change: they move to the end, and the rest of the group moves up.
    clock.advance(1)
    changed = read_first[:3]
    updates = [WriteOp(WriteKind.UPDATE, "customers", {"Phone": "+1 555 0100"}, id=i) for i in changed]
    assert all(r.ok for r in await frozen_connector.write(updates))
    rest, _ = await drain(frozen_connector, "customers", cursor, page_size=4)

    everything = Counter((r.id, r.version) for r in [*seen, *rest])
    assert set(everything.values()) == {1}
    assert {i for i, v in everything if v == "1"} == set(group)
    assert {i for i, v in everything if v == "2"} == set(changed)


async def test_after_an_update_the_next_read_returns_only_that_record(tims: Tims, connector: TimsConnector) -> None:
    _, cursor = await drain(connector, "customers")
    target = sorted(tims.ids("customers"))[3]
    [result] = await connector.write([WriteOp(WriteKind.UPDATE, "customers", {"Phone": "+1 555 0101"}, id=target)])

    records, _ = await drain(connector, "customers", cursor)

    assert [(r.id, r.version) for r in records] == [(target, result.version)]


async def test_a_soft_delete_comes_back_as_deleted_with_its_data(tims: Tims, connector: TimsConnector) -> None:
    [created] = await connector.write([WriteOp(WriteKind.CREATE, "customers", {"CompanyName": "Going Away Ltd"})])
    _, cursor = await drain(connector, "customers")
    assert created.id is not None
    await connector.write([WriteOp(WriteKind.DELETE, "customers", id=created.id)])

    records, _ = await drain(connector, "customers", cursor)

    assert [(r.id, r.deleted, r.data["Status"], r.data["CompanyName"]) for r in records] == [
        (created.id, True, "Inactive", "Going Away Ltd")
    ]


async def test_an_empty_read_keeps_the_cursor(connector: TimsConnector) -> None:
    _, cursor = await drain(connector, "vendors")

    page = await connector.read("vendors", cursor)

    assert (page.records, page.cursor, page.more) == ([], cursor, False)


async def test_a_match_narrows_the_read(connector: TimsConnector) -> None:
    records, _ = await drain(connector, "sales-orders", match={"OrderStatus": "Open"})

    assert records and {r.data["OrderStatus"] for r in records} == {"Open"}


async def test_a_cursor_from_elsewhere_is_refused(connector: TimsConnector) -> None:
    with pytest.raises(PermanentError, match="cursor"):
        await connector.read("customers", "2026-11-22T08:00:00Z")


async def test_an_unknown_entity_is_a_config_error(connector: TimsConnector) -> None:
    with pytest.raises(ConfigError, match="customers, items"):
        await connector.read("accounts", None)


async def test_get_returns_the_record_or_none(tims: Tims, connector: TimsConnector) -> None:
    some = sorted(tims.ids("customers"))[0]

    record = await connector.get("customers", some)

    assert record is not None and record.id == some and record.data["CustomerID"] == int(some)
    assert await connector.get("customers", "99999") is None


async def test_an_inventory_row_is_addressed_by_sku_and_warehouse(connector: TimsConnector) -> None:
    page = await connector.read("inventory", None, page_size=1)
    row = page.records[0]

    again = await connector.get("inventory", row.id)

    assert row.id == f"{row.data['SKU']}/{row.data['Warehouse']}"
    assert again is not None and again.data == row.data


async def test_find_by_external_id_and_by_email(connector: TimsConnector) -> None:
    body = {"CompanyName": "Findable Gases", "ExternalID": "acct-find-1", "Email": "buyer@findable.example"}
    [created] = await connector.write([WriteOp(WriteKind.CREATE, "customers", body)])

    by_key = await connector.find("customers", {"ExternalID": "acct-find-1"})
    by_email = await connector.find("customers", {"Email": "buyer@findable.example"})

    assert [r.id for r in by_key] == [r.id for r in by_email] == [created.id]


async def test_find_leaves_out_deleted_records_unless_asked(connector: TimsConnector) -> None:
    body = {"CompanyName": "Gone Welding", "ExternalID": "acct-find-2"}
    [created] = await connector.write([WriteOp(WriteKind.CREATE, "customers", body)])
    assert created.id is not None
    await connector.write([WriteOp(WriteKind.DELETE, "customers", id=created.id)])

    assert await connector.find("customers", {"ExternalID": "acct-find-2"}) == []
    [gone] = await connector.find("customers", {"ExternalID": "acct-find-2"}, include_deleted=True)
    assert gone.deleted
