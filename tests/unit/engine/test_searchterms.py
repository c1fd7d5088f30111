"""Which fields identify a record in record search, and the label people see."""

from __future__ import annotations

from typing import Any

from ferry.engine.searchterms import field_kind, index_entry

ACCOUNT: dict[str, Any] = {
    "accountid": "5f1c0e2a-8a53-4b2e-9a41-0c6a1f3f7e11",
    "name": "Contoso Ltd",
    "accountnumber": "ACC-1001",
    "emailaddress1": "Buyer@Contoso.example",
    "statecode": 0,
    "statuscode": 1,
    "address1_postalcode": "78701",
    "customertypecode": 3,
    "creditlimit": "25000.0000",
    "_ownerid_value": "owner-guid",
    "primarycontactid": {"fullname": "Dana Reyes", "emailaddress1": "dana@contoso.example", "password": "x"},
    "bank_account_number": "GB29NWBK60161331926819",
}


def test_fields_are_judged_by_their_names() -> None:
    assert field_kind("accountnumber") == "number"
    assert field_kind("SKU") == "number"
    assert field_kind("OrderNumber") == "number"
    assert field_kind("Email") == "email"
    assert field_kind("CompanyName") == "name"
    assert field_kind("primarycontactid.fullname") == "name"
    for classifying in ("statuscode", "address1_postalcode", "CountryCode", "currencycode", "customertypecode"):
        assert field_kind(classifying) is None, classifying
    for secret in ("card_number", "bank_account_number", "api_key_name", "routing_number"):
        assert field_kind(secret) is None, secret
    assert field_kind("_ownerid_value") is None
    assert field_kind("name@OData.Community.Display.V1.FormattedValue") is None


def test_an_entry_holds_ids_and_identifying_values_in_lower_case() -> None:
    entry = index_entry(
        "customers", "left", ACCOUNT["accountid"], connection="d365", entity="accounts", data=ACCOUNT, twin_id="10016"
    )
    terms = entry.terms.split("\n")
    assert terms[:2] == [ACCOUNT["accountid"], "10016"]
    assert set(terms[2:]) == {"contoso ltd", "acc-1001", "buyer@contoso.example", "dana reyes", "dana@contoso.example"}
    assert entry.label == "Contoso Ltd (ACC-1001)"
    assert "gb29" not in entry.terms and "78701" not in entry.terms


def test_a_short_id_stands_in_for_a_number_in_the_label_and_a_guid_does_not() -> None:
    customer = {"CustomerID": 10016, "CompanyName": "Contoso Ltd", "Email": "buyer@contoso.example"}
    assert index_entry("c", "right", "10016", connection="t", entity="c", data=customer, twin_id=None).label == (
        "Contoso Ltd (10016)"
    )
    guid = "5f1c0e2a-8a53-4b2e-9a41-0c6a1f3f7e11"
    assert index_entry("c", "left", guid, connection="d", entity="a", data={"name": "Contoso"}, twin_id=None).label == (
        "Contoso"
    )
    assert index_entry("c", "left", guid, connection="d", entity="a", data={}, twin_id=None).label == guid


def test_named_fields_replace_the_picked_ones() -> None:
    entry = index_entry(
        "customers",
        "left",
        "a-1",
        connection="d365",
        entity="accounts",
        data=ACCOUNT,
        twin_id=None,
        fields=("primarycontactid.fullname", "creditlimit"),
    )
    assert entry.terms.split("\n") == ["a-1", "dana reyes", "25000.0000"]
    assert entry.label == "Dana Reyes (a-1)"  # a short id is the number people know it by
