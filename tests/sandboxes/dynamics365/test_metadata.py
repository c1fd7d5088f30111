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


async def test_attributes_cast_to_picklist_lists_only_picklists_with_their_options(api: httpx.AsyncClient) -> None:
    url = "EntityDefinitions(LogicalName='account')/Attributes/Microsoft.Dynamics.CRM.PicklistAttributeMetadata"
    body = (await api.get(url, params={"$select": "LogicalName", "$expand": "OptionSet($select=Options)"})).json()
    by_name = {a["LogicalName"]: a for a in body["value"]}
    assert "statecode" not in by_name and "name" not in by_name
    options = {
        o["Label"]["UserLocalizedLabel"]["Label"]: o["Value"]
        for o in by_name["customertypecode"]["OptionSet"]["Options"]
    }
    assert options["Customer"] == 3


async def test_option_set_needs_a_cast_to_an_attribute_type_that_has_one(api: httpx.AsyncClient) -> None:
    r = await api.get("EntityDefinitions(LogicalName='account')/Attributes", params={"$expand": "OptionSet"})
    assert r.status_code == 400


async def test_entity_definition_by_metadata_id_reaches_its_attributes(api: httpx.AsyncClient) -> None:
    entity = (await api.get("EntityDefinitions(LogicalName='account')", params={"$select": "LogicalName"})).json()
    r = await api.get(f"EntityDefinitions({entity['MetadataId']})/Attributes(LogicalName='name')")
    assert (r.status_code, r.json()["AttributeType"], r.json()["IsPrimaryName"]) == (200, "String", True)


async def test_metadata_filter_combines_clauses_with_parentheses_and_or(api: httpx.AsyncClient) -> None:
    flt = "IsPrivate eq false and (LogicalName eq 'account' or LogicalName eq 'contact')"
    body = (await api.get("EntityDefinitions", params={"$select": "LogicalName", "$filter": flt})).json()
    assert sorted(d["LogicalName"] for d in body["value"]) == ["account", "contact"]


async def test_string_functions_are_refused_on_metadata(api: httpx.AsyncClient) -> None:
    r = await api.get("EntityDefinitions", params={"$filter": "startswith(LogicalName,'msdyn_')"})
    assert r.status_code == 400
    assert r.json()["error"]["message"] == 'The "startswith" function isn\'t supported for Metadata Entities.'


async def test_keys_list_the_alternate_keys(api: httpx.AsyncClient) -> None:
    body = (await api.get("EntityDefinitions(LogicalName='account')/Keys")).json()
    assert [(k["KeyAttributes"], k["EntityKeyIndexStatus"]) for k in body["value"]] == [(["accountnumber"], "Active")]
