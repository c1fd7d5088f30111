from __future__ import annotations

from ferry.connectors.dynamics365 import DataverseConnector
from ferry.core.errors import ConflictError, NotFoundError, ValidationError
from ferry.core.records import WriteKind, WriteOp
from tests.connectors.dynamics365.conftest import Served

C, U, P, D = WriteKind.CREATE, WriteKind.UPDATE, WriteKind.UPSERT, WriteKind.DELETE


async def test_create_update_upsert_by_alternate_key_and_delete(fresh: DataverseConnector) -> None:
    (created,) = await fresh.write([WriteOp(C, "accounts", {"name": "Fresh Ltd"})])
    assert created.ok and created.created and created.id and created.version
    updated, upserted = await fresh.write(
        [
            WriteOp(U, "accounts", {"telephone1": "555-0100"}, id=created.id),
            WriteOp(P, "accounts", {"name": "Keyed Ltd"}, key={"accountnumber": "A-5001"}),
        ]
    )
    assert updated.ok and not updated.created and updated.id == created.id
    assert updated.version and updated.version > created.version  # type: ignore[operator]
    assert upserted.ok and upserted.created and upserted.id
    row = await fresh.get("accounts", upserted.id)
    assert row is not None and (row.data["name"], row.data["accountnumber"]) == ("Keyed Ltd", "A-5001")
    assert row.version == upserted.version
    (deleted,) = await fresh.write([WriteOp(D, "accounts", id=created.id)])
    assert deleted.ok and await fresh.get("accounts", created.id) is None


async def test_upserting_twice_creates_once(fresh: DataverseConnector) -> None:
    op = WriteOp(P, "accounts", {"name": "Twice Ltd"}, key={"accountnumber": "A-6001"})
    first, second = await fresh.write([op, op])
    (third,) = await fresh.write([op])
    assert (first.created, second.created, third.created) == (True, False, False)
    assert first.id == second.id == third.id
    assert len(await fresh.find("accounts", {"accountnumber": "A-6001"})) == 1


async def test_a_create_with_an_idempotency_key_makes_one_row_however_often_it_is_sent(
    fresh: DataverseConnector,
) -> None:
    op = WriteOp(C, "accounts", {"name": "Once Ltd"}, idempotency_key="tims:customer:4711")
    first, again = await fresh.write([op, op])
    assert first.ok and first.created
    assert again.ok and not again.created and again.id == first.id
    assert len(await fresh.find("accounts", {"name": "Once Ltd"})) == 1


async def test_a_bad_payload_fails_only_its_own_op(fresh: DataverseConnector) -> None:
    results = await fresh.write(
        [
            WriteOp(C, "accounts", {"name": "Good One"}),
            WriteOp(C, "accounts", {"name": "Bad One", "nosuchcolumn": 1}),
            WriteOp(P, "accounts", {"name": "Good Two"}, key={"accountnumber": "A-7001"}),
        ]
    )
    assert [r.ok for r in results] == [True, False, True]
    error = results[1].error
    assert isinstance(error, ValidationError)
    assert "nosuchcolumn" in error.message and error.field_errors.keys() == {"nosuchcolumn"}
    assert error.context["entity"] == "accounts"
    assert await fresh.find("accounts", {"name": "Bad One"}) == []


async def test_an_if_match_on_an_old_version_is_a_conflict(fresh: DataverseConnector) -> None:
    (created,) = await fresh.write([WriteOp(C, "accounts", {"name": "Versioned Ltd"})])
    assert created.version is not None
    await fresh.write([WriteOp(U, "accounts", {"name": "Changed by someone"}, id=created.id)])
    (stale,) = await fresh.write([WriteOp(U, "accounts", {"name": "Mine"}, id=created.id, if_match=created.version)])
    assert not stale.ok and isinstance(stale.error, ConflictError)


async def test_updating_a_missing_row_is_not_found(fresh: DataverseConnector) -> None:
    missing = "00000000-0000-0000-0000-00000000beef"
    (result,) = await fresh.write([WriteOp(U, "accounts", {"name": "Ghost"}, id=missing)])
    assert not result.ok and isinstance(result.error, NotFoundError)


async def test_a_nested_contact_on_create_is_a_deep_insert(fresh: DataverseConnector) -> None:
    person = {"firstname": "Ada", "lastname": "Lovelace", "emailaddress1": "ada@engines.test"}
    (result,) = await fresh.write([WriteOp(C, "accounts", {"name": "Engines Ltd", "primarycontactid": person})])
    assert result.ok and result.id
    row = await fresh.get("accounts", result.id, expand=["primarycontactid"])
    assert row is not None and row.data["primarycontactid"]["emailaddress1"] == "ada@engines.test"


async def test_a_nested_contact_on_update_changes_the_existing_contact(fresh: DataverseConnector) -> None:
    (account,) = await fresh.find("accounts", {"accountnumber": "A-1001"})
    contact_id = account.data["_primarycontactid_value"]
    assert contact_id
    (result,) = await fresh.write(
        [WriteOp(P, "accounts", {"primarycontactid": {"jobtitle": "Buyer"}}, key={"accountnumber": "A-1001"})]
    )
    assert result.ok and not result.created
    row = await fresh.get("accounts", account.id, expand=["primarycontactid"])
    assert row is not None
    assert row.data["_primarycontactid_value"] == contact_id
    assert row.data["primarycontactid"]["jobtitle"] == "Buyer"


async def test_a_nested_contact_on_update_creates_and_binds_one_when_there_is_none(
    fresh: DataverseConnector,
) -> None:
    (created,) = await fresh.write([WriteOp(C, "accounts", {"name": "Lonely Ltd"})])
    person = {"firstname": "Grace", "lastname": "Hopper", "emailaddress1": "grace@navy.test"}
    (result,) = await fresh.write([WriteOp(U, "accounts", {"primarycontactid": person}, id=created.id)])
    assert result.ok
    row = await fresh.get("accounts", created.id, expand=["primarycontactid"])
    assert row is not None and row.data["primarycontactid"]["lastname"] == "Hopper"


async def test_a_failing_related_row_rolls_back_its_account_only(fresh: DataverseConnector) -> None:
    bad_contact = {"lastname": "x" * 500}  # longer than the column allows
    ok, failed = await fresh.write(
        [
            WriteOp(P, "accounts", {"name": "Fine Ltd"}, key={"accountnumber": "A-8001"}),
            WriteOp(
                P, "accounts", {"name": "Rolled Back", "primarycontactid": bad_contact}, key={"accountnumber": "A-8002"}
            ),
        ]
    )
    assert ok.ok and not failed.ok and isinstance(failed.error, ValidationError)
    assert "lastname" in failed.error.field_errors
    assert await fresh.find("accounts", {"accountnumber": "A-8002"}) == []


async def test_many_ops_go_out_in_batches_of_the_configured_size(served: Served) -> None:
    conn = DataverseConnector(served.config(batch_size=4))
    try:
        await conn.check()
        before = conn.client.http.requests
        ops = [WriteOp(P, "accounts", {"name": f"Bulk {n}"}, key={"accountnumber": f"B-{n:04d}"}) for n in range(10)]
        results = await conn.write(ops)
        sent = conn.client.http.requests - before
    finally:
        await conn.aclose()
    assert [r.ok for r in results] == [True] * 10
    assert sent == 1 + 3  # $metadata, then three $batch requests of 4, 4 and 2
