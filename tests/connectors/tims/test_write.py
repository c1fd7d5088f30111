"""Writes: results, idempotent creates and upserts, and record-level refusals as failed results."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from ferry.connectors.tims import TimsConnector
from ferry.core.errors import AuthError, ConflictError, NotFoundError, ValidationError
from ferry.core.records import WriteKind, WriteOp, WriteResult
from tests.connectors.tims.conftest import Tims


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def one(connector: TimsConnector, op: WriteOp) -> WriteResult:
    [result] = await connector.write([op])
    return result


async def test_a_create_returns_the_new_id_version_and_record(connector: TimsConnector) -> None:
    result = await one(connector, WriteOp(WriteKind.CREATE, "customers", {"CompanyName": "Delta Gas Co"}))

    assert (result.ok, result.created, result.version) == (True, True, "1")
    assert result.record is not None and result.record.data["CompanyName"] == "Delta Gas Co"
    assert result.id == str(result.record.data["CustomerID"])


async def test_an_update_returns_the_next_version(connector: TimsConnector) -> None:
    created = await one(connector, WriteOp(WriteKind.CREATE, "customers", {"CompanyName": "Echo Welding"}))

    result = await one(connector, WriteOp(WriteKind.UPDATE, "customers", {"Phone": "+1 555 0102"}, id=created.id))

    assert (result.ok, result.created, result.id, result.version) == (True, False, created.id, "2")
    assert result.record is not None and result.record.data["Phone"] == "+1 555 0102"


async def test_a_retried_create_with_the_same_idempotency_key_creates_once(connector: TimsConnector) -> None:
    name = unique("Retry Supply")
    op = WriteOp(WriteKind.CREATE, "customers", {"CompanyName": name}, idempotency_key=unique("evt"))

    first = await one(connector, op)
    second = await one(connector, op)

    assert first.id == second.id and second.ok and second.created
    assert len(await connector.find("customers", {"CompanyName": name})) == 1


async def test_a_retried_create_without_a_key_gets_the_same_derived_key(connector: TimsConnector) -> None:
    name = unique("Derived Supply")
    op = WriteOp(WriteKind.CREATE, "customers", {"CompanyName": name})

    first, second = await one(connector, op), await one(connector, op)

    assert first.id == second.id
    assert len(await connector.find("customers", {"CompanyName": name})) == 1


async def test_an_upsert_by_external_id_creates_then_updates(connector: TimsConnector) -> None:
    key = {"ExternalID": unique("acct")}

    first = await one(connector, WriteOp(WriteKind.UPSERT, "customers", {"CompanyName": "Foxtrot Gases"}, key=key))
    second = await one(connector, WriteOp(WriteKind.UPSERT, "customers", {"CompanyName": "Foxtrot Gas"}, key=key))

    assert (first.created, second.created, second.id, second.version) == (True, False, first.id, "2")
    [record] = await connector.find("customers", key)
    assert record.data["CompanyName"] == "Foxtrot Gas" and record.data["ExternalID"] == key["ExternalID"]


async def test_two_upserts_racing_for_one_key_make_one_record(connector: TimsConnector) -> None:
    key = {"ExternalID": unique("acct")}
    ops = [WriteOp(WriteKind.UPSERT, "customers", {"CompanyName": f"Golf Gases {n}"}, key=key) for n in range(2)]

    results = await connector.write(ops)

    assert all(r.ok for r in results) and results[0].id == results[1].id
    assert len(await connector.find("customers", key)) == 1


async def test_an_upsert_by_id_patches_that_record(connector: TimsConnector) -> None:
    created = await one(connector, WriteOp(WriteKind.CREATE, "customers", {"CompanyName": "Hotel Hardgoods"}))

    result = await one(connector, WriteOp(WriteKind.UPSERT, "customers", {"Phone": "+1 555 0103"}, id=created.id))

    assert (result.ok, result.created, result.id, result.version) == (True, False, created.id, "2")


async def test_a_delete_is_soft_and_returns_the_version(connector: TimsConnector) -> None:
    created = await one(connector, WriteOp(WriteKind.CREATE, "customers", {"CompanyName": "India Industrial"}))
    assert created.id is not None

    result = await one(connector, WriteOp(WriteKind.DELETE, "customers", id=created.id))

    assert (result.ok, result.id, result.version) == (True, created.id, "2")
    record = await connector.get("customers", created.id)
    assert record is not None and record.deleted


async def test_a_delete_by_key_finds_the_record(connector: TimsConnector) -> None:
    key = {"ExternalID": unique("acct")}
    created = await one(connector, WriteOp(WriteKind.CREATE, "customers", {"CompanyName": "Juliet Oxygen"}, key=key))

    result = await one(connector, WriteOp(WriteKind.DELETE, "customers", key=key))

    assert result.ok and result.id == created.id


async def test_an_order_for_an_unknown_customer_is_a_failed_result_with_the_problem(connector: TimsConnector) -> None:
    order = {"CustomerID": 99999, "Lines": [{"SKU": "NOPE", "Quantity": 1}]}

    result = await one(connector, WriteOp(WriteKind.CREATE, "sales-orders", order))

    assert not result.ok and isinstance(result.error, ValidationError)
    assert result.error.context["problem"] == "unknown-reference"
    assert result.error.detail is not None and "99999" in result.error.detail
    assert "CustomerID" in result.error.field_errors


async def test_an_order_over_the_credit_limit_is_a_failed_result(connector: TimsConnector) -> None:
    customer = await one(
        connector, WriteOp(WriteKind.CREATE, "customers", {"CompanyName": "Kilo Tanks", "CreditLimit": "10.00"})
    )
    [item, *_] = await connector.find("items", {"Active": True})
    order = {"CustomerID": int(customer.id or 0), "Lines": [{"SKU": item.data["SKU"], "Quantity": 50}]}

    result = await one(connector, WriteOp(WriteKind.CREATE, "sales-orders", order))

    assert not result.ok and isinstance(result.error, ValidationError)
    assert result.error.context["problem"] == "credit-limit-exceeded"


async def test_a_duplicate_external_id_is_a_conflict_naming_the_holder(connector: TimsConnector) -> None:
    external = unique("acct")
    first = await one(
        connector, WriteOp(WriteKind.CREATE, "customers", {"CompanyName": "Lima", "ExternalID": external})
    )

    again = await one(
        connector, WriteOp(WriteKind.CREATE, "customers", {"CompanyName": "Mike", "ExternalID": external})
    )

    assert not again.ok and isinstance(again.error, ConflictError)
    assert again.error.context["existing_id"] == first.id


async def test_a_stale_if_match_is_a_conflict(connector: TimsConnector) -> None:
    created = await one(connector, WriteOp(WriteKind.CREATE, "customers", {"CompanyName": "November Nitrogen"}))
    await one(connector, WriteOp(WriteKind.UPDATE, "customers", {"Phone": "1"}, id=created.id, if_match="1"))

    stale = await one(connector, WriteOp(WriteKind.UPDATE, "customers", {"Phone": "2"}, id=created.id, if_match="1"))

    assert not stale.ok and isinstance(stale.error, ConflictError)
    assert stale.error.context["current_version"] == "2"


async def test_bad_fields_come_back_as_field_errors(connector: TimsConnector) -> None:
    body = {"CompanyName": "Oscar", "Email": "not-an-email", "Colour": "blue"}

    result = await one(connector, WriteOp(WriteKind.CREATE, "customers", body))

    assert isinstance(result.error, ValidationError)
    assert set(result.error.field_errors) == {"Email", "Colour"}


async def test_an_update_of_a_missing_record_is_not_found(connector: TimsConnector) -> None:
    result = await one(connector, WriteOp(WriteKind.UPDATE, "customers", {"Phone": "1"}, id="99999"))

    assert not result.ok and isinstance(result.error, NotFoundError) and result.id == "99999"


async def test_one_refusal_does_not_stop_the_others_and_results_keep_their_order(connector: TimsConnector) -> None:
    ops = [
        WriteOp(WriteKind.CREATE, "customers", {"CompanyName": "Papa Propane"}),
        WriteOp(WriteKind.UPDATE, "customers", {"Phone": "1"}, id="99999"),
        WriteOp(WriteKind.CREATE, "customers", {"CompanyName": "Quebec Argon"}),
    ]

    results = await connector.write(ops)

    assert [r.ok for r in results] == [True, False, True]
    assert [r.record.data["CompanyName"] for r in results if r.record] == ["Papa Propane", "Quebec Argon"]


@pytest.fixture
async def readonly(tims: Tims) -> AsyncIterator[TimsConnector]:
    c = TimsConnector(tims.config(api_key=tims.sandbox.credentials()["readonly_api_key"]))
    yield c
    await c.aclose()


async def test_a_write_the_credentials_may_not_make_is_raised(readonly: TimsConnector) -> None:
    with pytest.raises(AuthError, match="403"):
        await readonly.write([WriteOp(WriteKind.CREATE, "customers", {"CompanyName": "Romeo"})])
