from __future__ import annotations

import pytest

from ferry.connectors.dynamics365 import DataverseConnector
from ferry.core.errors import ConfigError, CursorExpiredError
from ferry.core.records import Page, WriteKind, WriteOp

COLUMNS = ["name", "accountnumber", "emailaddress1", "primarycontactid"]


async def walk(conn: DataverseConnector, cursor: str | None = None, **options: object) -> tuple[list[Page], str]:
    """Read pages until the connector says there are no more; the pages and the final cursor."""
    pages = [await conn.read("accounts", cursor, page_size=7, **options)]  # type: ignore[arg-type]
    while pages[-1].more:
        assert pages[-1].cursor is not None
        pages.append(await conn.read("accounts", pages[-1].cursor, page_size=7, **options))  # type: ignore[arg-type]
    assert pages[-1].cursor is not None
    return pages, pages[-1].cursor


async def test_initial_read_walks_every_account_once_and_ends_with_a_delta_cursor(
    fresh: DataverseConnector,
) -> None:
    pages, cursor = await walk(fresh, select=COLUMNS)
    ids = [r.id for p in pages for r in p.records]
    everything = await fresh.client.get_json("accounts", {"$select": "accountid"})
    assert len(pages) > 2
    assert sorted(ids) == sorted({r["accountid"] for r in everything["value"]})
    assert all(p.cursor and p.cursor.startswith("next:") for p in pages[:-1])
    assert cursor.startswith("delta:")
    first = pages[0].records[0]
    assert first.version and first.version.isdigit()
    assert first.modified_at is not None
    assert "_primarycontactid_value" in first.data and "@odata.etag" not in first.data


async def test_after_an_update_the_next_read_returns_just_that_record(fresh: DataverseConnector) -> None:
    pages, cursor = await walk(fresh, select=COLUMNS)
    target = pages[1].records[2]
    (result,) = await fresh.write([WriteOp(WriteKind.UPDATE, "accounts", {"name": "Renamed Ltd"}, id=target.id)])
    page = await fresh.read("accounts", cursor, select=COLUMNS)
    assert [(r.id, r.data["name"], r.deleted) for r in page.records] == [(target.id, "Renamed Ltd", False)]
    assert page.records[0].version == result.version
    assert page.cursor and page.cursor.startswith("delta:") and not page.more
    assert (await fresh.read("accounts", page.cursor, select=COLUMNS)).records == []


async def test_a_delete_shows_up_as_deleted(fresh: DataverseConnector) -> None:
    _pages, cursor = await walk(fresh, select=COLUMNS)
    (created,) = await fresh.write([WriteOp(WriteKind.CREATE, "accounts", {"name": "Short-lived Ltd"})])
    cursor = (await fresh.read("accounts", cursor, select=COLUMNS)).cursor
    await fresh.write([WriteOp(WriteKind.DELETE, "accounts", id=created.id)])
    page = await fresh.read("accounts", cursor, select=COLUMNS)
    assert [(r.id, r.deleted) for r in page.records] == [(created.id, True)]


async def test_expand_nests_the_primary_contact_in_a_walk_and_a_delta(fresh: DataverseConnector) -> None:
    options = {"select": ["name", "primarycontactid"], "expand": {"primarycontactid": ["firstname", "emailaddress1"]}}
    pages, cursor = await walk(fresh, **options)
    with_contact = [r for p in pages for r in p.records if r.data["_primarycontactid_value"]]
    assert with_contact
    record = with_contact[0]
    contact = record.data["primarycontactid"]
    assert contact["contactid"] == record.data["_primarycontactid_value"]
    assert set(contact) >= {"firstname", "emailaddress1"} and "lastname" not in contact
    await fresh.write([WriteOp(WriteKind.UPDATE, "accounts", {"name": "Nested Ltd"}, id=record.id)])
    (changed,) = (await fresh.read("accounts", cursor, **options)).records  # type: ignore[arg-type]
    assert changed.data["name"] == "Nested Ltd"
    assert changed.data["primarycontactid"]["firstname"] == contact["firstname"]


async def test_a_filter_keeps_the_walk_in_scope_and_rows_that_leave_it_are_not_reported_deleted(
    fresh: DataverseConnector,
) -> None:
    customers = "customertypecode eq 3"
    pages, cursor = await walk(fresh, select=["name", "customertypecode"], filter=customers)
    seen = [r for p in pages for r in p.records]
    assert seen and all(r.data["customertypecode"] == 3 for r in seen)
    assert len(seen) == len(await fresh.find("accounts", {"customertypecode": 3}))
    await fresh.write([WriteOp(WriteKind.UPDATE, "accounts", {"customertypecode": 11}, id=seen[0].id)])
    page = await fresh.read("accounts", cursor, select=["name"], filter=customers)
    assert page.records == []
    assert await fresh.get("accounts", seen[0].id, filter=customers) is None


async def test_get_reads_one_row_with_its_contact_and_none_when_missing(fresh: DataverseConnector) -> None:
    (row,) = await fresh.find("accounts", {"accountnumber": "A-1001"})
    got = await fresh.get("accounts", row.id, select=["name"], expand=["primarycontactid"])
    assert got is not None and got.id == row.id and got.version == row.version
    assert set(got.data) >= {"name", "primarycontactid"}
    assert await fresh.get("accounts", "00000000-0000-0000-0000-000000000001") is None


async def test_find_by_accountnumber(fresh: DataverseConnector) -> None:
    found = await fresh.find("accounts", {"accountnumber": "A-1003"}, select=["name", "accountnumber"])
    assert [r.data["accountnumber"] for r in found] == ["A-1003"]


async def test_find_by_an_email_with_a_quote_in_it(fresh: DataverseConnector) -> None:
    email = "o'brien&sons+sales@example.test"
    await fresh.write([WriteOp(WriteKind.CREATE, "contacts", {"lastname": "O'Brien", "emailaddress1": email})])
    found = await fresh.find("contacts", {"emailaddress1": email, "parentcustomerid": None})
    assert [(r.data["lastname"], r.data["emailaddress1"]) for r in found] == [("O'Brien", email)]


async def test_an_expired_delta_token_asks_for_a_fresh_read(fresh: DataverseConnector) -> None:
    # A delta token names a row version and when it was issued; this one is years old.
    stale = "delta:accounts?$select=name&$deltatoken=1%2101%2f01%2f2020%2000%3a00%3a00"
    with pytest.raises(CursorExpiredError, match="read again from the start"):
        await fresh.read("accounts", stale)


async def test_an_unknown_entity_set_is_a_config_error_with_a_suggestion(connector: DataverseConnector) -> None:
    with pytest.raises(ConfigError, match="Did you mean 'accounts'"):
        await connector.read("acounts", None)
