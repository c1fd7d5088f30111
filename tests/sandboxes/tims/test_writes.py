"""Creating, changing and deleting records; the shapes of refusals."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import httpx

from tests.sandboxes.tims.conftest import money, new_customer, stocked_sku


async def test_create_answers_201_with_location_etag_and_the_record(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/customers", json={"CompanyName": "Keller Stahlbau GmbH", "Currency": "EUR"})
    fetched = await client.get(r.headers["location"])
    assert r.status_code == 201
    assert r.headers["etag"] == '"1"'
    assert fetched.json() == r.json()
    assert r.json()["Version"] == 1
    assert r.json()["ModifiedAt"].endswith("Z")


async def test_patch_changes_only_the_fields_sent_and_bumps_version(client: httpx.AsyncClient) -> None:
    created = await new_customer(client, Email="ap@harbor.example")
    r = await client.patch(f"/api/v1/customers/{created['CustomerID']}", json={"Phone": "555-0199"})
    assert r.status_code == 200
    assert r.headers["etag"] == '"2"'
    assert r.json() == {**created, "Phone": "555-0199", "Version": 2, "ModifiedAt": r.json()["ModifiedAt"]}


async def test_patch_with_a_stale_if_match_is_refused_with_412(client: httpx.AsyncClient) -> None:
    created = await new_customer(client)
    url = f"/api/v1/customers/{created['CustomerID']}"
    await client.patch(url, json={"Phone": "1"}, headers={"If-Match": '"1"'})
    stale = await client.patch(url, json={"Phone": "2"}, headers={"If-Match": '"1"'})
    current = (await client.get(url)).json()
    assert stale.status_code == 412
    assert stale.headers["etag"] == '"2"'
    assert current["Phone"] == "1"


async def test_if_match_star_accepts_any_version(client: httpx.AsyncClient) -> None:
    created = await new_customer(client)
    r = await client.patch(f"/api/v1/customers/{created['CustomerID']}", json={"Phone": "1"}, headers={"If-Match": "*"})
    assert r.status_code == 200


async def test_get_with_matching_if_none_match_is_304(client: httpx.AsyncClient) -> None:
    created = await new_customer(client)
    url = f"/api/v1/customers/{created['CustomerID']}"
    same = await client.get(url, headers={"If-None-Match": '"1"'})
    await client.patch(url, json={"Phone": "1"})
    changed = await client.get(url, headers={"If-None-Match": '"1"'})
    assert same.status_code == 304
    assert changed.status_code == 200


async def test_put_replaces_the_record_resetting_omitted_fields(client: httpx.AsyncClient) -> None:
    created = await new_customer(client, Email="ap@harbor.example", Phone="555-0100")
    r = await client.put(f"/api/v1/customers/{created['CustomerID']}", json={"CompanyName": "Harbor Welding"})
    assert r.status_code == 200
    assert (r.json()["Email"], r.json()["Phone"], r.json()["CreditLimit"]) == (None, None, None)
    assert r.json()["PaymentTerms"] == "NET30"


async def test_a_record_read_and_written_back_unchanged_keeps_its_version(client: httpx.AsyncClient) -> None:
    order = (await client.get("/api/v1/sales-orders", params={"pageSize": 1})).json()["data"][0]
    r = await client.put(f"/api/v1/sales-orders/{order['SalesOrderID']}", json=order)
    assert r.status_code == 200
    assert r.json() == order


async def test_delete_is_soft_and_hides_the_record_from_lists(client: httpx.AsyncClient) -> None:
    created = await new_customer(client, ExternalID="gone-1")
    url = f"/api/v1/customers/{created['CustomerID']}"
    deleted = await client.delete(url)
    listed = (await client.get("/api/v1/customers", params={"ExternalID": "gone-1"})).json()["total"]
    inactive = (
        await client.get("/api/v1/customers", params={"ExternalID": "gone-1", "includeInactive": "true"})
    ).json()
    assert deleted.status_code == 204
    assert (await client.get(url)).json()["Status"] == "Inactive"
    assert listed == 0
    assert [c["CustomerID"] for c in inactive["data"]] == [created["CustomerID"]]


async def test_unknown_fields_are_refused_and_listed(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/customers", json={"CompanyName": "A", "Nickname": "x", "Fax": "y"})
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    assert sorted(e["field"] for e in r.json()["errors"]) == ["Fax", "Nickname"]


async def test_wrong_types_are_refused_field_by_field(client: httpx.AsyncClient) -> None:
    body = {"CustomerID": "10001", "Lines": [{"SKU": "OX-40", "Quantity": 1.5}], "OrderDate": "22/11/2026"}
    r = await client.post("/api/v1/sales-orders", json=body)
    assert r.status_code == 400
    assert sorted(e["field"] for e in r.json()["errors"]) == ["CustomerID", "Lines[0].Quantity", "OrderDate"]


async def test_money_as_a_float_like_boolean_or_too_precise_is_refused(client: httpx.AsyncClient) -> None:
    statuses = []
    for limit in (True, "12.345", "1,000.00"):
        r = await client.post("/api/v1/customers", json={"CompanyName": "A", "CreditLimit": limit})
        statuses.append(r.status_code)
    assert statuses == [400, 400, 400]


async def test_money_is_written_as_exact_decimal_strings(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/items", json={"SKU": "GAS-MIX-90", "Description": "Tri-mix", "UnitPrice": "12.3456"})
    whole = await client.post("/api/v1/items", json={"SKU": "GAS-MIX-91", "Description": "Tri-mix", "UnitPrice": 7})
    assert r.json()["UnitPrice"] == "12.3456"
    assert whole.json()["UnitPrice"] == "7.00"


async def test_bad_json_is_400_problem_json(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/v1/customers", content=b'{"CompanyName": ', headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    assert {"type", "title", "status", "detail"} <= r.json().keys()


async def test_a_json_array_body_is_refused(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/customers", json=[{"CompanyName": "A"}])
    assert r.status_code == 400


async def test_oversized_body_is_413(client: httpx.AsyncClient) -> None:
    big = {"CompanyName": "A", "Phone": "x" * (2 * 1024 * 1024)}
    r = await client.post("/api/v1/customers", json=big)
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"


async def test_a_write_that_is_not_json_is_415(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/customers", data={"CompanyName": "A"})
    assert r.status_code == 415


async def test_duplicate_external_id_is_409_naming_the_holder(client: httpx.AsyncClient) -> None:
    first = await new_customer(client, ExternalID="shop-77")
    r = await client.post("/api/v1/customers", json={"CompanyName": "Other", "ExternalID": "shop-77"})
    assert r.status_code == 409
    assert r.json()["existingId"] == first["CustomerID"]


async def test_duplicate_sku_is_409(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/items", json={"SKU": "OX-40", "Description": "Oxygen", "UnitPrice": "1.00"})
    assert r.status_code == 409
    assert r.json()["errors"][0]["field"] == "SKU"


async def test_external_id_may_repeat_across_collections(client: httpx.AsyncClient) -> None:
    await new_customer(client, ExternalID="X-1")
    r = await client.post("/api/v1/vendors", json={"CompanyName": "Airgas", "ExternalID": "X-1"})
    assert r.status_code == 201


async def test_unknown_id_and_unknown_collection_are_404(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/v1/customers/99999999")
    not_a_number = await client.get("/api/v1/customers/abc")
    nowhere = await client.get("/api/v1/contacts")
    assert [missing.status_code, not_a_number.status_code, nowhere.status_code] == [404, 404, 404]
    assert missing.headers["content-type"] == "application/problem+json"


async def test_wrong_method_is_405_with_allow(client: httpx.AsyncClient) -> None:
    r = await client.delete("/api/v1/customers")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, POST"


async def test_read_only_fields_in_a_body_are_ignored(client: httpx.AsyncClient) -> None:
    created = await new_customer(client)
    row = await stocked_sku(client)
    body = {
        "CustomerID": created["CustomerID"],
        "SalesOrderID": 1,
        "Total": "0.01",
        "Version": 99,
        "Lines": [{"SKU": row["SKU"], "Quantity": 1, "UnitPrice": "10.00", "LineTotal": "1.00"}],
    }
    r = await client.post("/api/v1/sales-orders", json=body)
    assert r.status_code == 201
    assert (r.json()["Total"], r.json()["Version"], r.json()["Lines"][0]["LineTotal"]) == ("10.00", 1, "10.00")
    assert r.json()["SalesOrderID"] != 1


async def test_totals_are_quantity_times_price_less_discount_rounded_to_cents(client: httpx.AsyncClient) -> None:
    created = await new_customer(client)
    row = await stocked_sku(client)
    lines = [
        {"SKU": row["SKU"], "Quantity": 3, "UnitPrice": "19.9950", "Discount": "1.50"},
        {"SKU": row["SKU"], "Quantity": 7, "UnitPrice": "0.3333"},
    ]
    r = await client.post("/api/v1/sales-orders", json={"CustomerID": created["CustomerID"], "Lines": lines})
    expected = [
        (Decimal(3) * Decimal("19.9950") - Decimal("1.50")).quantize(Decimal("0.01"), ROUND_HALF_UP),
        (Decimal(7) * Decimal("0.3333")).quantize(Decimal("0.01"), ROUND_HALF_UP),
    ]
    got = [money(line["LineTotal"]) for line in r.json()["Lines"]]
    assert got == expected
    assert money(r.json()["Total"]) == sum(expected)
    assert [line["LineNo"] for line in r.json()["Lines"]] == [1, 2]


async def test_a_body_nested_too_deeply_is_400_not_a_crash(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/customers", content=b"[" * 100_000, headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"


async def test_a_put_that_omits_status_does_not_revive_a_deleted_record(client: httpx.AsyncClient) -> None:
    created = await new_customer(client)
    url = f"/api/v1/customers/{created['CustomerID']}"
    await client.delete(url)
    r = await client.put(url, json={"CompanyName": "Harbor Welding"})
    revived = await client.patch(url, json={"Status": "Active"})
    assert r.json()["Status"] == "Inactive"
    assert revived.json()["Status"] == "Active"
