from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx

EDM = "{http://docs.oasis-open.org/odata/ns/edm}"


async def test_metadata_is_csdl_describing_keys_lookups_and_choices(api: httpx.AsyncClient) -> None:
    r = await api.get("$metadata")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(r.text)
    types = {t.get("Name"): t for t in root.iter(f"{EDM}EntityType")}
    account = types["account"]
    assert account.find(f"{EDM}Key/{EDM}PropertyRef").get("Name") == "accountid"  # type: ignore[union-attr]
    props = {p.get("Name"): p.get("Type") for p in account.iter(f"{EDM}Property")}
    assert props["_primarycontactid_value"] == "Edm.Guid"
    assert props["creditlimit"] == "Edm.Decimal"
    navs = {n.get("Name"): n.get("Type") for n in account.iter(f"{EDM}NavigationProperty")}
    assert navs["primarycontactid"] == "mscrm.contact"
    assert navs["contact_customer_accounts"] == "Collection(mscrm.contact)"
    statuscode = next(p for p in types["salesorder"].iter(f"{EDM}Property") if p.get("Name") == "statuscode")
    values = [int(v.get("Int", "0")) for v in statuscode.iter(f"{EDM}PropertyValue") if v.get("Property") == "Value"]
    assert 100003 in values
    keys = [v.get("PropertyPath") for v in account.iter(f"{EDM}PropertyValue") if v.get("Property") == "Name"]
    assert keys == ["accountnumber"]
    sets = {s.get("Name") for s in root.iter(f"{EDM}EntitySet")}
    assert {
        "accounts",
        "contacts",
        "products",
        "salesorders",
        "salesorderdetails",
        "invoices",
        "invoicedetails",
        "msdyn_purchaseorders",
        "msdyn_purchaseorderproducts",
        "msdyn_productinventories",
        "msdyn_inventoryonhandentries",
    } <= sets


async def test_service_document_lists_the_entity_sets(api: httpx.AsyncClient) -> None:
    body = (await api.get("")).json()
    assert {"name": "accounts", "kind": "EntitySet", "url": "accounts"} in body["value"]


async def test_status_option_set_metadata_carries_states(api: httpx.AsyncClient) -> None:
    url = (
        "EntityDefinitions(LogicalName='salesorder')/Attributes(LogicalName='statuscode')"
        "/Microsoft.Dynamics.CRM.StatusAttributeMetadata"
    )
    body = (await api.get(url, params={"$select": "LogicalName", "$expand": "OptionSet"})).json()
    options = {
        o["Value"]: (o["Label"]["UserLocalizedLabel"]["Label"], o["State"]) for o in body["OptionSet"]["Options"]
    }
    assert options[100001] == ("Complete", 3)
    assert options[1] == ("New", 0)


async def test_entity_definition_names_the_set_and_change_tracking(api: httpx.AsyncClient) -> None:
    body = (
        await api.get(
            "EntityDefinitions(LogicalName='account')",
            params={"$select": "EntitySetName,ChangeTrackingEnabled,PrimaryIdAttribute"},
        )
    ).json()
    assert (body["EntitySetName"], body["ChangeTrackingEnabled"], body["PrimaryIdAttribute"]) == (
        "accounts",
        True,
        "accountid",
    )


async def test_entity_definitions_filter_by_logical_name(api: httpx.AsyncClient) -> None:
    body = (
        await api.get(
            "EntityDefinitions",
            params={"$select": "LogicalName,EntitySetName", "$filter": "LogicalName eq 'msdyn_productinventory'"},
        )
    ).json()
    assert [d["EntitySetName"] for d in body["value"]] == ["msdyn_productinventories"]


async def test_wrong_cast_of_attribute_metadata_is_refused(api: httpx.AsyncClient) -> None:
    url = (
        "EntityDefinitions(LogicalName='account')/Attributes(LogicalName='name')"
        "/Microsoft.Dynamics.CRM.PicklistAttributeMetadata"
    )
    assert (await api.get(url)).status_code == 400
