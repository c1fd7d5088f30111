"""Listing: paging, incremental reads, filters, and refusing queries that would mislead."""

from __future__ import annotations

from typing import Any

import httpx

from ferry.sandboxes.kit import ManualClock
from tests.sandboxes.tims.conftest import new_customer


async def walk(client: httpx.AsyncClient, path: str, **params: Any) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    page: int | None = 1
    while page is not None:
        r = await client.get(path, params={**params, "page": page})
        assert r.status_code == 200, r.text
        body = r.json()
        records += body["data"]
        page = body["nextPage"]
    return records


async def test_paging_walks_every_record_exactly_once(client: httpx.AsyncClient) -> None:
    total = (await client.get("/api/v1/customers", params={"pageSize": 1})).json()["total"]
    records = await walk(client, "/api/v1/customers", pageSize=7)
    ids = [r["CustomerID"] for r in records]
    assert len(ids) == total
    assert len(set(ids)) == total


async def test_lists_are_ordered_by_modified_at_then_id(client: httpx.AsyncClient) -> None:
    records = await walk(client, "/api/v1/sales-orders", pageSize=500)
    keys = [(r["ModifiedAt"], r["SalesOrderID"]) for r in records]
    assert keys == sorted(keys)


async def test_last_page_has_no_next_page(client: httpx.AsyncClient) -> None:
    first = (await client.get("/api/v1/items", params={"pageSize": 50})).json()
    last_page = -(-first["total"] // 50)
    last = (await client.get("/api/v1/items", params={"pageSize": 50, "page": last_page})).json()
    assert first["nextPage"] == 2
    assert last["nextPage"] is None
    assert len(last["data"]) == first["total"] - 50 * (last_page - 1)


async def test_modified_since_returns_only_records_changed_since(client: httpx.AsyncClient, clock: ManualClock) -> None:
    seeded = await walk(client, "/api/v1/customers", pageSize=500)
    clock.advance(3600)
    changed = seeded[3]["CustomerID"]
    r = await client.patch(f"/api/v1/customers/{changed}", json={"Phone": "+1 406 555 0100"})
    since = r.json()["ModifiedAt"]
    newer = await walk(client, "/api/v1/customers", modifiedSince=since)
    assert [c["CustomerID"] for c in newer] == [changed]


async def test_modified_since_is_inclusive_of_the_given_time(client: httpx.AsyncClient) -> None:
    seeded = await walk(client, "/api/v1/items", pageSize=500)
    cutoff = seeded[len(seeded) // 2]["ModifiedAt"]
    newer = await walk(client, "/api/v1/items", pageSize=500, modifiedSince=cutoff)
    assert newer == [i for i in seeded if i["ModifiedAt"] >= cutoff]


async def test_filter_by_external_id_finds_the_one_record(client: httpx.AsyncClient) -> None:
    created = await new_customer(client, ExternalID="d365-4711")
    body = (await client.get("/api/v1/customers", params={"ExternalID": "d365-4711"})).json()
    assert body["total"] == 1
    assert body["data"] == [created]


async def test_empty_filter_value_matches_records_without_one(client: httpx.AsyncClient) -> None:
    await new_customer(client, ExternalID="d365-1")
    everyone = (await client.get("/api/v1/customers")).json()["total"]
    without = (await client.get("/api/v1/customers", params={"ExternalID": ""})).json()["total"]
    assert without == everyone - 1


async def test_filter_values_are_typed_by_field(client: httpx.AsyncClient) -> None:
    orders = await walk(client, "/api/v1/sales-orders", pageSize=500)
    customer = orders[0]["CustomerID"]
    matched = await walk(client, "/api/v1/sales-orders", CustomerID=str(customer))
    assert matched == [o for o in orders if o["CustomerID"] == customer]


async def test_repeating_a_filter_matches_any_of_its_values(client: httpx.AsyncClient) -> None:
    orders = await walk(client, "/api/v1/sales-orders", pageSize=500)
    wanted = {"Open", "Allocated"}
    matched = await walk(client, "/api/v1/sales-orders", OrderStatus=list(wanted))
    assert matched == [o for o in orders if o["OrderStatus"] in wanted]


async def test_unknown_filter_field_is_refused_naming_it(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/customers", params={"Nickname": "x"})
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in r.json()["errors"]] == ["Nickname"]


async def test_nested_fields_cannot_be_filtered(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/sales-orders", params={"Lines": "x"})
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "Lines"


async def test_page_size_outside_1_to_500_is_refused(client: httpx.AsyncClient) -> None:
    statuses = [(await client.get("/api/v1/items", params={"pageSize": n})).status_code for n in (0, 501, "ten")]
    assert statuses == [400, 400, 400]


async def test_malformed_modified_since_is_refused(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/items", params={"modifiedSince": "yesterday"})
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "modifiedSince"


async def test_filter_value_of_the_wrong_type_is_refused(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/sales-orders", params={"CustomerID": "ACME"})
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "CustomerID"


async def test_inventory_is_keyed_by_sku_and_warehouse(client: httpx.AsyncClient) -> None:
    rows = (await client.get("/api/v1/inventory", params={"SKU": "OX-40"})).json()["data"]
    one = await client.get("/api/v1/inventory/OX-40/EAST")
    assert sorted(r["Warehouse"] for r in rows) == ["EAST", "MAIN"]
    assert one.json() == next(r for r in rows if r["Warehouse"] == "EAST")
    assert one.json()["Available"] == one.json()["OnHand"] - one.json()["Allocated"]


async def test_inventory_is_read_only(client: httpx.AsyncClient) -> None:
    r = await client.patch("/api/v1/inventory/OX-40/MAIN", json={"OnHand": 5})
    post = await client.post("/api/v1/inventory", json={"SKU": "OX-40"})
    assert (r.status_code, r.headers["allow"]) == (405, "GET")
    assert post.status_code == 405


async def test_filters_see_changes_made_after_the_first_filtered_list(client: httpx.AsyncClient) -> None:
    first = (await client.get("/api/v1/customers", params={"Email": "before@example.com"})).json()
    assert first["total"] == 0
    created = await client.post("/api/v1/customers", json={"CompanyName": "Indexed Ltd", "Email": "before@example.com"})
    customer_id = created.json()["CustomerID"]
    found = (await client.get("/api/v1/customers", params={"Email": "before@example.com"})).json()
    await client.patch(f"/api/v1/customers/{customer_id}", json={"Email": "after@example.com"})
    old = (await client.get("/api/v1/customers", params={"Email": "before@example.com"})).json()
    new = (await client.get("/api/v1/customers", params={"Email": "after@example.com"})).json()
    assert [c["CustomerID"] for c in found["data"]] == [customer_id]
    assert old["total"] == 0
    assert [c["CustomerID"] for c in new["data"]] == [customer_id]
