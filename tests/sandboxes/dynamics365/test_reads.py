from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import httpx
import pytest

from ferry.sandboxes.kit import dumps


async def all_pages(
    api: httpx.AsyncClient, url: str, page_size: int, params: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    headers = {"Prefer": f"odata.maxpagesize={page_size}"}
    r = await api.get(url, params=params, headers=headers)
    while True:
        body = r.json()
        assert r.status_code == 200, body
        rows += body["value"]
        if "@odata.nextLink" not in body:
            return rows
        assert len(body["value"]) == page_size
        r = await api.get(body["@odata.nextLink"], headers=headers)


async def test_paging_walks_every_record_exactly_once(api: httpx.AsyncClient) -> None:
    everything = (await api.get("contacts", params={"$select": "fullname"})).json()["value"]
    paged = await all_pages(api, "contacts", 7, {"$select": "fullname"})
    ids = [r["contactid"] for r in paged]
    assert len(ids) == len(set(ids)) == len(everything)


async def test_paging_is_stable_when_records_are_created_between_pages(api: httpx.AsyncClient) -> None:
    headers = {"Prefer": "odata.maxpagesize=10"}
    first = (await api.get("accounts", params={"$select": "name", "$orderby": "name"}, headers=headers)).json()
    seen = {r["accountid"] for r in first["value"]}
    await api.post("accounts", json={"name": "AAAA first alphabetically"})
    r = await api.get(first["@odata.nextLink"], headers=headers)
    while True:
        body = r.json()
        new = {row["accountid"] for row in body["value"]}
        assert not new & seen
        seen |= new
        if "@odata.nextLink" not in body:
            break
        r = await api.get(body["@odata.nextLink"], headers=headers)
    total = len((await api.get("accounts", params={"$select": "name"})).json()["value"])
    assert len(seen) == total - 1  # the new record sorts before the first page, so the walk skips it


async def test_maxpagesize_is_echoed_in_preference_applied(api: httpx.AsyncClient) -> None:
    r = await api.get("accounts", params={"$select": "name"}, headers={"Prefer": "odata.maxpagesize=5"})
    assert r.headers["preference-applied"] == "odata.maxpagesize=5"
    assert "$skiptoken=" in r.json()["@odata.nextLink"]


async def test_select_returns_only_those_columns_plus_id_and_etag(api: httpx.AsyncClient) -> None:
    row = (await api.get("accounts", params={"$select": "name,_primarycontactid_value", "$top": "1"})).json()["value"][
        0
    ]
    assert set(row) == {"@odata.etag", "name", "_primarycontactid_value", "accountid"}
    assert re.fullmatch(r'W/"\d+"', row["@odata.etag"])


async def test_select_of_unknown_column_names_it(api: httpx.AsyncClient) -> None:
    r = await api.get("accounts", params={"$select": "name,nosuchcolumn"})
    assert r.status_code == 400
    assert r.json()["error"]["message"] == (
        "Could not find a property named 'nosuchcolumn' on type 'Microsoft.Dynamics.CRM.account'."
    )


@pytest.mark.parametrize(
    ("expression", "check"),
    [
        ("creditlimit gt 20000", lambda r: r["creditlimit"] is not None and r["creditlimit"] > 20000),
        ("creditlimit le 10000", lambda r: r["creditlimit"] is not None and r["creditlimit"] <= 10000),
        ("creditlimit eq null", lambda r: r["creditlimit"] is None),
        ("creditlimit ne null and statecode eq 0", lambda r: r["creditlimit"] is not None and r["statecode"] == 0),
        ("not (statecode eq 0)", lambda r: r["statecode"] != 0),
        (
            "startswith(name,'a') or endswith(name,'inc.')",
            lambda r: r["name"].lower().startswith("a") or r["name"].lower().endswith("inc."),
        ),
        ("contains(name,'welding')", lambda r: "welding" in r["name"].lower()),
        (
            "numberofemployees ge 100 and numberofemployees lt 500",
            lambda r: r["numberofemployees"] is not None and 100 <= r["numberofemployees"] < 500,
        ),
        ("address1_country eq 'United Kingdom'", lambda r: r["address1_country"] == "United Kingdom"),
        ("customertypecode eq 11", lambda r: r["customertypecode"] == 11),
    ],
)
async def test_filter_matches_what_the_records_say(api: httpx.AsyncClient, expression: str, check: Any) -> None:
    columns = "name,creditlimit,statecode,numberofemployees,address1_country,customertypecode"
    everything = (await api.get("accounts", params={"$select": columns})).json()["value"]
    for row in everything:
        if row["creditlimit"] is not None:
            row["creditlimit"] = Decimal(str(row["creditlimit"]))
    r = await api.get("accounts", params={"$select": columns, "$filter": expression})
    assert r.status_code == 200, r.text
    expected = {row["accountid"] for row in everything if check(row)}
    assert {row["accountid"] for row in r.json()["value"]} == expected
    assert expected or expression.startswith(("not", "contains"))


async def test_filter_on_a_lookup_uses_an_unquoted_guid(api: httpx.AsyncClient) -> None:
    account = (await api.get("accounts", params={"$filter": "_primarycontactid_value ne null", "$top": "1"})).json()
    account_id = account["value"][0]["accountid"]
    r = await api.get("contacts", params={"$filter": f"_parentcustomerid_value eq {account_id}"})
    assert r.status_code == 200
    assert r.json()["value"]
    assert all(c["_parentcustomerid_value"] == account_id for c in r.json()["value"])


async def test_filter_through_a_navigation_property(api: httpx.AsyncClient) -> None:
    contact = (await api.get("contacts", params={"$top": "1", "$filter": "_parentcustomerid_value ne null"})).json()
    account_id = contact["value"][0]["_parentcustomerid_value"]
    name = (await api.get(f"accounts({account_id})", params={"$select": "name"})).json()["name"]
    quoted = name.replace("'", "''")
    r = await api.get("contacts", params={"$filter": f"parentcustomerid_account/name eq '{quoted}'"})
    assert contact["value"][0]["contactid"] in {c["contactid"] for c in r.json()["value"]}


async def test_filter_with_parameter_alias(api: httpx.AsyncClient) -> None:
    r = await api.get("accounts", params={"$filter": "accountnumber eq @n", "@n": "'A-1001'"})
    assert [a["accountnumber"] for a in r.json()["value"]] == ["A-1001"]


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("name eqq 'x'", "Syntax error at position 5"),
        ("name eq 5", "incompatible types"),
        ("nosuch eq 1", "Could not find a property named 'nosuch'"),
        ("(name eq 'x'", "Syntax error"),
        ("contains(creditlimit,'1')", "No function signature"),
    ],
)
async def test_malformed_filter_is_a_400_with_odata_code(
    api: httpx.AsyncClient, expression: str, fragment: str
) -> None:
    r = await api.get("accounts", params={"$filter": expression})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "0x80060888"
    assert fragment in r.json()["error"]["message"]


async def test_orderby_descending(api: httpx.AsyncClient) -> None:
    rows = (await api.get("products", params={"$select": "price", "$orderby": "price desc"})).json()["value"]
    prices = [Decimal(str(r["price"])) for r in rows]
    assert prices == sorted(prices, reverse=True)


async def test_top_limits_the_result_without_a_next_link(api: httpx.AsyncClient) -> None:
    body = (await api.get("products", params={"$top": "4"})).json()
    assert len(body["value"]) == 4
    assert "@odata.nextLink" not in body


async def test_count_true_and_the_count_segment_agree(api: httpx.AsyncClient) -> None:
    body = (await api.get("products", params={"$count": "true", "$top": "1", "$filter": "statecode eq 0"})).json()
    segment = await api.get("products/$count", params={"$filter": "statecode eq 0"})
    assert body["@odata.count"] == int(segment.text)
    assert body["@odata.count"] > 1


@pytest.mark.parametrize("option", ["$skip", "$search", "$format"])
async def test_unsupported_query_options_are_refused(api: httpx.AsyncClient, option: str) -> None:
    r = await api.get("accounts", params={option: "1"})
    assert r.status_code == 400
    assert option in r.json()["error"]["message"]


async def test_unknown_entity_set_is_404(api: httpx.AsyncClient) -> None:
    r = await api.get("accountz")
    assert r.status_code == 404
    assert r.json()["error"]["message"] == "Resource not found for the segment 'accountz'."


async def test_missing_record_is_404_with_object_does_not_exist(api: httpx.AsyncClient) -> None:
    r = await api.get("accounts(00000000-0000-0000-0000-0000000000aa)")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "0x80040217"
    assert r.json()["error"]["message"] == "account With Id = 00000000-0000-0000-0000-0000000000aa Does Not Exist"


async def test_expand_single_valued_lookup_with_nested_select(api: httpx.AsyncClient) -> None:
    r = await api.get(
        "accounts",
        params={
            "$select": "name",
            "$expand": "primarycontactid($select=fullname)",
            "$filter": "_primarycontactid_value ne null",
            "$top": "3",
        },
    )
    for account in r.json()["value"]:
        assert set(account["primarycontactid"]) == {"@odata.etag", "fullname", "contactid"}


async def test_expand_order_lines_collection(api: httpx.AsyncClient) -> None:
    r = await api.get(
        "salesorders", params={"$select": "totallineitemamount", "$expand": "order_details($select=extendedamount)"}
    )
    for order in r.json()["value"]:
        lines = order["order_details"]
        assert lines
        total = sum(Decimal(str(line["extendedamount"])) for line in lines)
        assert total == Decimal(str(order["totallineitemamount"]))


async def test_annotations_give_labels_and_lookup_targets(api: httpx.AsyncClient) -> None:
    headers = {"Prefer": 'odata.include-annotations="*"'}
    row = (await api.get("salesorders", params={"$top": "1"}, headers=headers)).json()["value"][0]
    assert row["statuscode@OData.Community.Display.V1.FormattedValue"] in {
        "New",
        "Pending",
        "In Progress",
        "No Money",
        "Complete",
        "Partial",
        "Invoiced",
    }
    assert row["_customerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"] == "account"
    assert row["_customerid_value@Microsoft.Dynamics.CRM.associatednavigationproperty"] == "customerid_account"
    assert row["totalamount@OData.Community.Display.V1.FormattedValue"].startswith("$")


async def test_if_none_match_with_current_etag_is_304(api: httpx.AsyncClient) -> None:
    row = (await api.get("accounts", params={"$top": "1"})).json()["value"][0]
    r = await api.get(f"accounts({row['accountid']})", headers={"If-None-Match": row["@odata.etag"]})
    assert r.status_code == 304


async def test_money_is_exact_on_the_wire(api: httpx.AsyncClient) -> None:
    body = {
        "productnumber": "PREC-1",
        "name": "Precision",
        "price": Decimal("1234567.89"),
        "defaultuomscheduleid@odata.bind": (await _first(api, "uomschedules", "uomscheduleid")),
        "defaultuomid@odata.bind": (await _first(api, "uoms", "uomid")),
    }
    r = await api.post(
        "products?$select=price",
        content=dumps(body),
        headers={"Prefer": "return=representation", "Content-Type": "application/json"},
    )
    assert r.status_code == 201, r.text
    assert '"price":1234567.8900' in r.text


async def _first(api: httpx.AsyncClient, set_name: str, key: str) -> str:
    row = (await api.get(set_name, params={"$top": "1"})).json()["value"][0]
    return f"/{set_name}({row[key]})"


async def test_fetchxml_is_refused_rather_than_ignored(api: httpx.AsyncClient) -> None:
    r = await api.get("accounts", params={"fetchXml": '<fetch top="1"><entity name="account" /></fetch>'})
    assert r.status_code == 400
    assert "FetchXML" in r.json()["error"]["message"]


async def test_filter_by_a_list_of_ids_returns_exactly_those_rows(api: httpx.AsyncClient) -> None:
    rows = (await api.get("accounts", params={"$select": "name,statecode", "$top": "5"})).json()["value"]
    ids = [r["accountid"] for r in rows]
    either = " or ".join(f"accountid eq {i}" for i in [*ids, "00000000-0000-0000-0000-0000000000ee"])
    found = (await api.get("accounts", params={"$filter": f"({either}) and statecode eq 0"})).json()["value"]
    assert {r["accountid"] for r in found} == {r["accountid"] for r in rows if r["statecode"] == 0}
