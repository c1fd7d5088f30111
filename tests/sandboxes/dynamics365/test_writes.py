from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import httpx
import pytest

from ferry.sandboxes.dynamics365 import Dynamics365Sandbox
from ferry.sandboxes.kit import dumps
from tests.sandboxes.dynamics365.conftest import API

REPRESENT = {"Prefer": "return=representation"}


async def first(api: httpx.AsyncClient, set_name: str, params: dict[str, str] | None = None) -> dict[str, Any]:
    rows: list[dict[str, Any]] = (await api.get(set_name, params={"$top": "1", **(params or {})})).json()["value"]
    return rows[0]


async def test_create_answers_204_with_the_new_records_url(api: httpx.AsyncClient) -> None:
    r = await api.post("accounts", json={"name": "Fabrikam Welding"})
    assert r.status_code == 204
    assert r.content == b""
    url = r.headers["odata-entityid"]
    assert url.startswith(f"{API}/accounts(")
    created = await api.get(url, params={"$select": "name,statecode,statuscode"})
    assert created.json()["name"] == "Fabrikam Welding"
    assert (created.json()["statecode"], created.json()["statuscode"]) == (0, 1)


async def test_create_with_representation_answers_201_with_the_record(api: httpx.AsyncClient) -> None:
    r = await api.post(
        "contacts?$select=fullname,firstname", headers=REPRESENT, json={"firstname": "Ada", "lastname": "Lovelace"}
    )
    assert r.status_code == 201
    assert r.json()["fullname"] == "Ada Lovelace"
    assert r.headers["etag"] == r.json()["@odata.etag"]
    assert r.headers["preference-applied"] == "return=representation"


async def test_upsert_by_alternate_key_creates_then_updates_the_same_record(api: httpx.AsyncClient) -> None:
    created = await api.patch("accounts(accountnumber='TIMS-77')", headers=REPRESENT, json={"name": "First name"})
    updated = await api.patch("accounts(accountnumber='TIMS-77')", headers=REPRESENT, json={"name": "Second name"})
    plain = await api.patch("accounts(accountnumber='TIMS-77')", json={"telephone1": "555"})
    assert (created.status_code, updated.status_code, plain.status_code) == (201, 200, 204)
    assert created.json()["accountid"] == updated.json()["accountid"]
    assert updated.json()["accountnumber"] == "TIMS-77"
    assert plain.headers["odata-entityid"].endswith("accounts(accountnumber='TIMS-77')")
    matches = (await api.get("accounts", params={"$filter": "accountnumber eq 'TIMS-77'"})).json()["value"]
    assert len(matches) == 1


async def test_upsert_by_primary_key_creates_with_that_id(api: httpx.AsyncClient) -> None:
    new_id = "6f7e1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
    r = await api.patch(f"accounts({new_id})", json={"name": "Chosen id"})
    assert r.status_code == 204
    assert (await api.get(f"accounts({new_id})")).json()["accountid"] == new_id


async def test_if_match_star_updates_only_existing_records(api: httpx.AsyncClient) -> None:
    r = await api.patch("accounts(accountnumber='NOPE-1')", headers={"If-Match": "*"}, json={"name": "x"})
    assert r.status_code == 404
    assert (await api.get("accounts", params={"$filter": "accountnumber eq 'NOPE-1'"})).json()["value"] == []


async def test_if_none_match_star_creates_only(api: httpx.AsyncClient) -> None:
    r = await api.patch("accounts(accountnumber='A-1001')", headers={"If-None-Match": "*"}, json={"name": "x"})
    assert r.status_code == 412
    assert r.json()["error"]["message"] == "A record with matching key values already exists."


async def test_stale_if_match_is_refused_with_412_and_changes_nothing(api: httpx.AsyncClient) -> None:
    account = await first(api, "accounts")
    url = f"accounts({account['accountid']})"
    await api.patch(url, json={"telephone1": "111"})
    r = await api.patch(url, headers={"If-Match": account["@odata.etag"]}, json={"telephone1": "222"})
    assert r.status_code == 412
    assert r.json()["error"]["code"] == "0x80060882"
    assert (await api.get(url)).json()["telephone1"] == "111"


async def test_current_if_match_succeeds_and_changes_the_etag(api: httpx.AsyncClient) -> None:
    account = await first(api, "accounts")
    url = f"accounts({account['accountid']})"
    r = await api.patch(url, headers={"If-Match": account["@odata.etag"], **REPRESENT}, json={"telephone1": "333"})
    assert r.status_code == 200
    assert r.json()["@odata.etag"] != account["@odata.etag"]
    assert r.json()["versionnumber"] > account["versionnumber"]


async def test_duplicate_alternate_key_on_create_is_412(api: httpx.AsyncClient) -> None:
    r = await api.post("accounts", json={"name": "Clash", "accountnumber": "a-1001"})
    assert r.status_code == 412
    assert "Account Number" in r.json()["error"]["message"]


async def test_bind_sets_a_lookup_read_back_as_value(api: httpx.AsyncClient) -> None:
    contact = await first(api, "contacts")
    r = await api.post(
        "accounts?$select=_primarycontactid_value",
        headers=REPRESENT,
        json={"name": "Bound", "primarycontactid@odata.bind": f"/contacts({contact['contactid']})"},
    )
    assert r.json()["_primarycontactid_value"] == contact["contactid"]


async def test_polymorphic_bind_and_alternate_key_reference(api: httpx.AsyncClient) -> None:
    r = await api.post(
        "contacts?$select=_parentcustomerid_value",
        headers=REPRESENT,
        json={"lastname": "Key", "parentcustomerid_account@odata.bind": "/accounts(accountnumber='A-1002')"},
    )
    account = (await api.get("accounts(accountnumber='A-1002')", params={"$select": "name"})).json()
    assert r.status_code == 201
    assert r.json()["_parentcustomerid_value"] == account["accountid"]


async def test_bind_to_a_missing_record_is_404_and_creates_nothing(api: httpx.AsyncClient) -> None:
    before = len((await api.get("accounts", params={"$select": "name"})).json()["value"])
    r = await api.post(
        "accounts",
        json={"name": "Orphan", "primarycontactid@odata.bind": "/contacts(00000000-0000-0000-0000-000000000042)"},
    )
    after = len((await api.get("accounts", params={"$select": "name"})).json()["value"])
    assert r.status_code == 404
    assert after == before


async def test_writing_the_lookup_value_property_is_refused(api: httpx.AsyncClient) -> None:
    r = await api.post(
        "accounts", json={"name": "x", "_primarycontactid_value": "00000000-0000-0000-0000-000000000042"}
    )
    assert r.status_code == 400
    assert "Use Navigation properties" in r.json()["error"]["message"]


@pytest.mark.parametrize(
    ("body", "code", "fragment"),
    [
        ({"name": "x", "nosuch": 1}, "0x80060888", "The property 'nosuch' does not exist"),
        ({"name": "x", "numberofemployees": "many"}, "0x80048d19", "Cannot convert the literal 'many'"),
        ({"name": "x", "creditlimit": "1000"}, "0x80048d19", "Edm.Decimal"),
        ({"name": "x" * 161}, "0x80044331", "exceeded the maximum allowed length of '160'"),
        ({"name": "x", "industrycode": 999}, "0x8004431a", "outside the valid range"),
        ({"name": "x", "statecode": 0, "statuscode": 2}, "0x80040203", "is not a valid status code"),
    ],
)
async def test_bad_payloads_are_refused_with_dataverse_codes(
    api: httpx.AsyncClient, body: dict[str, Any], code: str, fragment: str
) -> None:
    r = await api.post("accounts", json=body)
    assert r.status_code == 400
    assert r.json()["error"]["code"] == code
    assert fragment in r.json()["error"]["message"]


async def test_body_that_is_not_json_is_400(api: httpx.AsyncClient) -> None:
    r = await api.post("accounts", content=b"{name: nope", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "0x80048d19"


async def test_oversized_body_is_413(api: httpx.AsyncClient, sandbox: Dynamics365Sandbox) -> None:
    big = b'{"name": "' + b"x" * (sandbox.max_body_bytes + 1) + b'"}'
    r = await api.post("accounts", content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413


async def test_required_columns_are_enforced_for_products(api: httpx.AsyncClient) -> None:
    r = await api.post("products", json={"name": "No number"})
    assert r.status_code == 400
    assert "productnumber" in r.json()["error"]["message"]


async def test_deep_insert_of_order_lines_computes_totals(api: httpx.AsyncClient) -> None:
    account = await first(api, "accounts", {"$filter": "customertypecode eq 3"})
    products = (
        await api.get("products", params={"$top": "2", "$filter": "statecode eq 0", "$select": "price"})
    ).json()["value"]
    body = {
        "name": "Deep",
        "freightamount": Decimal("12.50"),
        "customerid_account@odata.bind": f"/accounts({account['accountid']})",
        "order_details": [
            {"productid@odata.bind": f"/products({p['productid']})", "quantity": Decimal(3)} for p in products
        ],
    }
    r = await api.post(
        "salesorders?$select=totalamount,totallineitemamount,ordernumber",
        headers={**REPRESENT, "Content-Type": "application/json"},
        content=dumps(body),
    )
    assert r.status_code == 201, r.text
    expected_lines = sum(Decimal(str(p["price"])) * 3 for p in products)
    order = (await api.get(r.headers["location"], params={"$select": "totalamount,totallineitemamount"})).json()
    assert Decimal(str(order["totallineitemamount"])) == expected_lines.quantize(Decimal("0.01"))
    assert Decimal(str(order["totalamount"])) == (expected_lines + Decimal("12.50")).quantize(Decimal("0.01"))
    assert r.json()["ordernumber"].startswith("ORD-")


async def test_adding_a_line_updates_the_order_total_and_version(api: httpx.AsyncClient) -> None:
    order = await first(api, "salesorders", {"$select": "totalamount,versionnumber"})
    product = await first(api, "products", {"$filter": "statecode eq 0", "$select": "price"})
    r = await api.post(
        "salesorderdetails",
        content=dumps(
            {
                "salesorderid@odata.bind": f"/salesorders({order['salesorderid']})",
                "productid@odata.bind": f"/products({product['productid']})",
                "quantity": Decimal(2),
            }
        ),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 204, r.text
    after = (
        await api.get(f"salesorders({order['salesorderid']})", params={"$select": "totalamount,versionnumber"})
    ).json()
    price = Decimal(str(product["price"]))
    assert Decimal(str(after["totalamount"])) == Decimal(str(order["totalamount"])) + price * 2
    assert after["versionnumber"] > order["versionnumber"]


async def test_deleting_an_order_deletes_its_lines(api: httpx.AsyncClient) -> None:
    order = await first(api, "salesorders")
    lines_filter = {"$filter": f"_salesorderid_value eq {order['salesorderid']}"}
    assert (await api.get("salesorderdetails", params=lines_filter)).json()["value"]
    assert (await api.delete(f"salesorders({order['salesorderid']})")).status_code == 204
    assert (await api.get("salesorderdetails", params=lines_filter)).json()["value"] == []
    assert (await api.get(f"salesorders({order['salesorderid']})")).status_code == 404


async def test_deleting_an_account_with_orders_is_refused(api: httpx.AsyncClient) -> None:
    order = await first(api, "salesorders", {"$select": "_customerid_value"})
    r = await api.delete(f"accounts({order['_customerid_value']})")
    assert r.status_code == 405
    assert (await api.get(f"accounts({order['_customerid_value']})")).status_code == 200


async def test_deleting_a_contact_clears_lookups_that_pointed_at_it(api: httpx.AsyncClient) -> None:
    account = await first(api, "accounts", {"$filter": "_primarycontactid_value ne null"})
    assert (await api.delete(f"contacts({account['_primarycontactid_value']})")).status_code == 204
    after = (await api.get(f"accounts({account['accountid']})", params={"$select": "_primarycontactid_value"})).json()
    assert after["_primarycontactid_value"] is None


async def test_single_property_put_get_and_delete(api: httpx.AsyncClient) -> None:
    account = await first(api, "accounts")
    url = f"accounts({account['accountid']})/telephone1"
    assert (await api.put(url, json={"value": "+1 406 555 0100"})).status_code == 204
    assert (await api.get(url)).json()["value"] == "+1 406 555 0100"
    assert (await api.delete(url)).status_code == 204
    assert (await api.get(url)).json()["value"] is None


async def test_ref_delete_disassociates_a_lookup(api: httpx.AsyncClient) -> None:
    account = await first(api, "accounts", {"$filter": "_primarycontactid_value ne null"})
    url = f"accounts({account['accountid']})/primarycontactid/$ref"
    assert (await api.get(url)).json()["@odata.id"].endswith(f"contacts({account['_primarycontactid_value']})")
    assert (await api.delete(url)).status_code == 204
    assert (await api.get(url)).status_code == 204


async def test_state_change_with_statecode_only_takes_the_default_status(api: httpx.AsyncClient) -> None:
    account = await first(api, "accounts", {"$filter": "statecode eq 0"})
    r = await api.patch(
        f"accounts({account['accountid']})?$select=statecode,statuscode", headers=REPRESENT, json={"statecode": 1}
    )
    assert (r.json()["statecode"], r.json()["statuscode"]) == (1, 2)


async def test_concurrent_updates_each_get_their_own_version(api: httpx.AsyncClient) -> None:
    account = await first(api, "accounts")
    url = f"accounts({account['accountid']})"
    responses = await asyncio.gather(
        *(api.patch(url, headers=REPRESENT, json={"telephone1": str(n)}) for n in range(20))
    )
    versions = [r.json()["versionnumber"] for r in responses]
    assert len(set(versions)) == 20
    final = (await api.get(url)).json()
    assert final["versionnumber"] == max(versions)


async def test_method_not_allowed_on_a_collection(api: httpx.AsyncClient) -> None:
    r = await api.patch("accounts", json={"name": "x"})
    assert r.status_code == 405


async def test_create_multiple_creates_all_and_returns_their_ids(api: httpx.AsyncClient) -> None:
    targets = [
        {"@odata.type": "Microsoft.Dynamics.CRM.account", "name": f"Bulk {n}", "accountnumber": f"BK-{n}"}
        for n in range(5)
    ]
    r = await api.post("accounts/Microsoft.Dynamics.CRM.CreateMultiple", json={"Targets": targets})
    assert r.status_code == 200, r.text
    ids = r.json()["Ids"]
    found = (await api.get("accounts", params={"$filter": "startswith(accountnumber,'BK-')"})).json()["value"]
    assert sorted(ids) == sorted(a["accountid"] for a in found)


async def test_create_multiple_is_all_or_nothing(api: httpx.AsyncClient) -> None:
    targets = [
        {"@odata.type": "Microsoft.Dynamics.CRM.account", "name": "Fine", "accountnumber": "AON-1"},
        {"@odata.type": "Microsoft.Dynamics.CRM.account", "name": "Broken", "numberofemployees": "x"},
    ]
    r = await api.post("accounts/Microsoft.Dynamics.CRM.CreateMultiple", json={"Targets": targets})
    assert r.status_code == 400
    assert (await api.get("accounts", params={"$filter": "accountnumber eq 'AON-1'"})).json()["value"] == []


async def test_upsert_multiple_matches_by_alternate_key(api: httpx.AsyncClient) -> None:
    existing = (await api.get("accounts(accountnumber='A-1001')")).json()
    targets = [
        {"@odata.type": "Microsoft.Dynamics.CRM.account", "accountnumber": "A-1001", "telephone1": "999"},
        {"@odata.type": "Microsoft.Dynamics.CRM.account", "accountnumber": "UP-9", "name": "Upserted"},
    ]
    r = await api.post("accounts/Microsoft.Dynamics.CRM.UpsertMultiple", json={"Targets": targets})
    assert r.status_code == 200, r.text
    assert r.json()["Ids"][0] == existing["accountid"]
    assert (await api.get("accounts(accountnumber='A-1001')")).json()["telephone1"] == "999"
    assert (await api.get("accounts(accountnumber='UP-9')")).json()["name"] == "Upserted"


async def test_update_multiple_needs_existing_rows(api: httpx.AsyncClient) -> None:
    rows = (await api.get("contacts", params={"$top": "2"})).json()["value"]
    targets = [
        {"@odata.type": "Microsoft.Dynamics.CRM.contact", "contactid": c["contactid"], "jobtitle": "Buyer"}
        for c in rows
    ]
    assert (
        await api.post("contacts/Microsoft.Dynamics.CRM.UpdateMultiple", json={"Targets": targets})
    ).status_code == 204
    titles = [(await api.get(f"contacts({c['contactid']})")).json()["jobtitle"] for c in rows]
    assert titles == ["Buyer", "Buyer"]
    missing = [
        {
            "@odata.type": "Microsoft.Dynamics.CRM.contact",
            "contactid": "00000000-0000-0000-0000-0000000000ff",
            "jobtitle": "x",
        }
    ]
    assert (
        await api.post("contacts/Microsoft.Dynamics.CRM.UpdateMultiple", json={"Targets": missing})
    ).status_code == 404


def bulk_delete(entity: str, attribute: str, operator: str, values: list[Any]) -> dict[str, Any]:
    condition = {"AttributeName": attribute, "Operator": operator, "Values": [{"Value": v} for v in values]}
    return {
        "QuerySet": [{"EntityName": entity, "Criteria": {"FilterOperator": "And", "Conditions": [condition]}}],
        "JobName": "Clean up",
        "SendEmailNotification": False,
        "ToRecipients": [],
        "CCRecipients": [],
        "RecurrencePattern": "",
        "StartDateTime": "2026-01-01T00:00:00Z",
    }


async def test_bulk_delete_deletes_matching_rows_and_records_a_finished_job(api: httpx.AsyncClient) -> None:
    doomed = (await api.get("contacts", params={"$top": "3", "$select": "contactid"})).json()["value"]
    ids = [c["contactid"] for c in doomed]
    r = await api.post("BulkDelete", json=bulk_delete("contact", "contactid", "In", ids))
    assert r.status_code == 200, r.text
    for contact_id in ids:
        assert (await api.get(f"contacts({contact_id})")).status_code == 404
    job = (await api.get(f"asyncoperations({r.json()['JobId']})")).json()
    assert (job["operationtype"], job["statecode"], job["statuscode"], job["name"]) == (13, 3, 30, "Clean up")


async def test_bulk_delete_leaves_restricted_rows_and_counts_them_as_failures(api: httpx.AsyncClient) -> None:
    order = await first(api, "salesorders", {"$select": "_customerid_value"})
    free = await first(api, "accounts", {"$filter": "_primarycontactid_value eq null and accountnumber ne null"})
    ids = [order["_customerid_value"], free["accountid"]]
    r = await api.post("BulkDelete", json=bulk_delete("account", "accountid", "In", ids))
    assert r.status_code == 200, r.text
    assert (await api.get(f"accounts({order['_customerid_value']})")).status_code == 200
    assert (await api.get(f"accounts({free['accountid']})")).status_code == 404
    job = (await api.get(f"asyncoperations({r.json()['JobId']})")).json()
    assert job["message"] == "1 of 2 records could not be deleted."


async def test_bulk_delete_refuses_an_unknown_attribute_before_deleting(api: httpx.AsyncClient) -> None:
    r = await api.post("BulkDelete", json=bulk_delete("account", "nosuchcolumn", "Equal", ["x"]))
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "0x80041103"
