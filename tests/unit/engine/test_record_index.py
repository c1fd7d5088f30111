"""Record search in the embedded store: entries saved with a record's outcome, found by any part of a term."""

from __future__ import annotations

from ferry.engine.searchterms import IndexEntry, index_entry
from ferry.engine.store import NewEvent, SqliteStore


def account(record_id: str, name: str, number: str, email: str) -> IndexEntry:
    data = {"name": name, "accountnumber": number, "emailaddress1": email}
    return index_entry("customers", "left", record_id, connection="d365", entity="accounts", data=data, twin_id=None)


async def settle(store: SqliteStore, *entries: IndexEntry) -> None:
    """Settle one event per entry's record, saving the entry in the same call, as the engine does."""
    await store.enqueue([NewEvent(e.sync, e.side, e.record_id) for e in entries])
    claims = {c.record_id: c for c in await store.claim(worker="w", limit=100, lease_seconds=30)}
    for e in entries:
        await store.finish(claims[e.record_id], link=None, audit=[], index=[e])


async def test_a_record_is_found_by_id_number_email_and_name_in_any_case(store: SqliteStore) -> None:
    await settle(
        store,
        account("a-1", "Contoso Ltd", "ACC-1001", "buyer@contoso.example"),
        account("a-2", "Fabrikam Inc", "ACC-2002", "orders@fabrikam.example"),
    )
    for query in ("a-1", "acc-1001", "ACC-10", "1001", "BUYER@contoso", "contoso.example", "contoso", "toso l"):
        found = await store.records.search(query)
        assert [r.record_id for r in found] == ["a-1"], query
    [hit] = await store.records.search("Contoso")
    assert (hit.label, hit.connection, hit.entity, hit.side) == ("Contoso Ltd (ACC-1001)", "d365", "accounts", "left")
    assert {r.record_id for r in await store.records.search("acc-")} == {"a-1", "a-2"}
    assert [r.record_id for r in await store.records.search("acc-", limit=1)] in (["a-1"], ["a-2"])
    assert await store.records.search("nobody") == []


async def test_short_questions_and_wildcard_characters_are_plain_text(store: SqliteStore) -> None:
    await settle(store, account("a-1", "Contoso Ltd", "AB", "x@y.example"), account("a-2", "C_D", "EF", "z@y.example"))
    assert [r.record_id for r in await store.records.search("ab")] == ["a-1"]
    assert [r.record_id for r in await store.records.search("_")] == ["a-2"]  # plain text, not a LIKE wildcard
    assert [r.record_id for r in await store.records.search("%")] == []
    assert [r.record_id for r in await store.records.search('"')] == []


async def test_exact_ids_and_prefixes_rank_before_substrings(store: SqliteStore) -> None:
    await settle(
        store,
        account("x-1", "Northwind Traders", "N-1", "a@northwind.example"),
        account("x-2", "The Northwind Shop", "N-2", "b@shop.example"),
        account("north", "Southern Cross", "S-3", "c@cross.example"),
    )
    found = [r.record_id for r in await store.records.search("north")]
    assert found == ["north", "x-1", "x-2"]


async def test_a_changed_record_is_found_by_its_new_terms_only(store: SqliteStore) -> None:
    await settle(store, account("a-1", "Contoso Ltd", "ACC-1001", "buyer@contoso.example"))
    await settle(store, account("a-1", "Litware Ltd", "ACC-1001", "buyer@litware.example"))
    assert await store.records.search("contoso") == []
    [hit] = await store.records.search("litware")
    assert hit.label == "Litware Ltd (ACC-1001)"
    assert len(await store.records.search("acc-1001")) == 1  # one row per record, not one per settlement


async def test_a_dead_letter_indexes_a_new_record_but_keeps_what_a_read_found(store: SqliteStore) -> None:
    await settle(store, account("a-1", "Contoso Ltd", "ACC-1001", "buyer@contoso.example"))
    await store.enqueue([NewEvent("customers", "left", "a-1", version="2"), NewEvent("customers", "left", "a-9")])
    for claim in await store.claim(worker="w", limit=10, lease_seconds=30):
        thin = index_entry(
            "customers", "left", claim.record_id, connection="d365", entity="accounts", data=None, twin_id=None
        )
        await store.dead_letter(claim, error_class="ValidationError", error="no", payload=None, index=[thin])
    assert [r.label for r in await store.records.search("a-1")] == ["Contoso Ltd (ACC-1001)"]
    assert [r.label for r in await store.records.search("a-9")] == ["a-9"]


async def test_the_index_costs_no_commit_of_its_own(store: SqliteStore) -> None:
    await store.enqueue([NewEvent("customers", "left", "a-1", version="1")])
    [claim] = await store.claim(worker="w", limit=1, lease_seconds=30)
    before = store.commits
    entry = account("a-1", "Contoso Ltd", "ACC-1001", "buyer@contoso.example")
    await store.finish(claim, link=None, audit=[], index=[entry])
    assert store.commits - before == 1
    assert await store.records.get("customers", "left", "a-1") is not None
