"""The dynamics365-tims template mappings, on records captured from the sandboxes and on odd ones."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ferry.core.errors import ValidationError
from ferry.mapping import Mapping, load
from tests.unit.mapping.samples import ACCOUNTS, CUSTOMERS

MAPPINGS = Path(__file__).parents[3] / "src" / "ferry" / "project" / "templates" / "dynamics365-tims" / "mappings"
ACCOUNT_FIELDS = set(ACCOUNTS["US"]) | {"transactioncurrencyid", "primarycontactid"}


@pytest.fixture(scope="module")
def to_customer() -> Mapping:
    return load(MAPPINGS / "account-to-customer.yaml", source_fields=ACCOUNT_FIELDS)


@pytest.fixture(scope="module")
def to_account() -> Mapping:
    return load(MAPPINGS / "customer-to-account.yaml", source_fields=set(CUSTOMERS["US"]))


def account(name: str, **changes: Any) -> dict[str, Any]:
    record = copy.deepcopy(ACCOUNTS[name])
    record.update(changes)
    return record


def customer_of(mapping: Mapping, record: dict[str, Any], *, creating: bool = True) -> dict[str, Any]:
    return mapping.apply(record, context={"source_id": record["accountid"]}, creating=creating)


# -- account to customer ------------------------------------------------------------------------------


def test_a_us_account_with_its_primary_contact(to_customer: Mapping) -> None:
    assert customer_of(to_customer, account("US")) == {
        "CompanyName": "Vasquez Marine Repair Co.",
        "FirstName": "Janice",
        "LastName": "Clarke",
        "Email": "janice.clarke@vasquezmarine.com",
        "Phone": "2187076724",
        "BillingAddress": {
            "Line1": "1366 Benjamin Islands Suite 103",
            "Line2": None,
            "City": "North Robert",
            "State": "OR",
            "PostalCode": "34226",
            "Country": "US",
        },
        "CreditLimit": "100000.00",
        "PaymentTerms": "NET30",
        "Currency": "USD",
        "ExternalID": "00e6c7ec-7480-5340-a246-199fb8637bbe",
    }


def test_the_company_name_is_trimmed_and_net_60_is_kept(to_customer: Mapping) -> None:
    out = customer_of(to_customer, account("NAME_SPACES_NET60"))
    assert (out["CompanyName"], out["PaymentTerms"]) == ("Lopez Auto Body", "NET60")


def test_a_contact_without_a_phone_falls_back_to_the_account_phone(to_customer: Mapping) -> None:
    out = customer_of(to_customer, account("GB_COUNTY"))
    assert out["Phone"] == "0114 496 0978"
    assert out["BillingAddress"]["State"] == "East Dunbartonshire"
    assert out["BillingAddress"]["Country"] == "GB"


def test_a_contact_without_an_email_falls_back_to_the_account_email(to_customer: Mapping) -> None:
    assert customer_of(to_customer, account("AU_CONTACT_NO_EMAIL"))["Email"] == "info@haley-gilbertpty.com.au"


def test_no_phone_anywhere_is_written_as_null(to_customer: Mapping) -> None:
    record = account("DE_NO_STATE")
    record["primarycontactid"]["telephone1"] = None
    assert customer_of(to_customer, record)["Phone"] is None


def test_an_address_without_a_state(to_customer: Mapping) -> None:
    address = customer_of(to_customer, account("DE_NO_STATE"))["BillingAddress"]
    assert (address["State"], address["PostalCode"], address["Country"]) == (None, "33396", "DE")


def test_an_account_without_a_primary_contact(to_customer: Mapping) -> None:
    out = customer_of(to_customer, account("FR_NO_CONTACT"))
    assert (out["FirstName"], out["LastName"]) == (None, None)
    assert (out["Email"], out["Phone"]) == ("orders@metallerieparis.fr", "02 29 35 83 20")
    assert out["CreditLimit"] is None
    assert out["Currency"] == "EUR"


def test_a_missing_postal_code_and_a_second_line(to_customer: Mapping) -> None:
    address = customer_of(to_customer, account("AU_NO_POSTAL"))["BillingAddress"]
    assert (address["Line2"], address["PostalCode"], address["State"]) == ("Floor 2", None, "WA")


def test_unset_payment_terms_leave_the_customer_terms_alone(to_customer: Mapping) -> None:
    out = customer_of(to_customer, account("DE_NO_TERMS_NO_LIMIT"))
    assert "PaymentTerms" not in out


def test_terms_without_a_tims_equivalent_become_net_30(to_customer: Mapping) -> None:
    assert customer_of(to_customer, account("US", paymenttermscode=2))["PaymentTerms"] == "NET30"


def test_the_address_comes_from_the_composite_when_the_parts_are_missing(to_customer: Mapping) -> None:
    parts = {f"address1_{p}": None for p in ("line1", "line2", "line3", "city", "stateorprovince", "postalcode")}
    record = account("GB_COUNTY", **parts, address1_country=None)
    full = customer_of(to_customer, account("GB_COUNTY"))
    assert customer_of(to_customer, record)["BillingAddress"] == full["BillingAddress"]


def test_lines_two_and_three_are_joined(to_customer: Mapping) -> None:
    record = account("US", address1_line2="Dock 3", address1_line3="Building B")
    assert customer_of(to_customer, record)["BillingAddress"]["Line2"] == "Dock 3, Building B"


def test_an_account_without_any_address_leaves_the_billing_address_alone(to_customer: Mapping) -> None:
    blank = {k: None for k in ACCOUNTS["US"] if k.startswith("address1_") and k != "address1_addresstypecode"}
    assert "BillingAddress" not in customer_of(to_customer, account("US", **blank))


def test_an_address_without_a_street_fails_with_the_reason(to_customer: Mapping) -> None:
    record = account("US", address1_line1=None, address1_composite="North Robert, OR 34226\r\nUnited States")
    with pytest.raises(ValidationError) as caught:
        customer_of(to_customer, record)
    assert list(caught.value.field_errors) == ["BillingAddress.Line1"]


def test_an_unknown_country_fails_with_the_reason(to_customer: Mapping) -> None:
    with pytest.raises(ValidationError) as caught:
        customer_of(to_customer, account("US", address1_country="Atlantis"))
    assert caught.value.field_errors == {
        "BillingAddress.Country": "country_code() does not know the country 'Atlantis'"
    }


def test_an_expanded_currency_wins_over_the_country(to_customer: Mapping) -> None:
    record = account("US", transactioncurrencyid={"isocurrencycode": "CAD"})
    assert customer_of(to_customer, record)["Currency"] == "CAD"


def test_an_update_does_not_change_the_currency(to_customer: Mapping) -> None:
    out = customer_of(to_customer, account("US"), creating=False)
    assert "Currency" not in out
    assert out["ExternalID"] == "00e6c7ec-7480-5340-a246-199fb8637bbe"


def test_without_a_source_id_the_external_id_is_left_alone(to_customer: Mapping) -> None:
    assert "ExternalID" not in to_customer.apply(account("US"))


def test_money_with_four_places_becomes_two(to_customer: Mapping) -> None:
    assert customer_of(to_customer, account("US", creditlimit=Decimal("1234.5650")))["CreditLimit"] == "1234.57"


def test_it_reads_only_fields_the_account_has(to_customer: Mapping) -> None:
    assert {path.split(".")[0] for path in to_customer.fields_read} <= ACCOUNT_FIELDS


# -- customer to account ------------------------------------------------------------------------------


def test_a_customer_with_a_person_becomes_an_account_with_a_primary_contact(to_account: Mapping) -> None:
    out = to_account.apply(CUSTOMERS["US"], creating=True)
    assert out == {
        "name": "Garcia Ironworks",
        "address1_line1": "723 Frazier Plains Suite 181",
        "address1_line2": None,
        "address1_line3": None,
        "address1_city": "Mckayfort",
        "address1_stateorprovince": "CT",
        "address1_postalcode": "00599",
        "address1_country": "United States",
        "customertypecode": 3,
        "creditlimit": Decimal("5000.00"),
        "paymenttermscode": 1,
        "transactioncurrencyid@odata.bind": "/transactioncurrencies(isocurrencycode='USD')",
        "primarycontactid": {
            "firstname": "Tyler",
            "lastname": "Lynch",
            "emailaddress1": "tyler.lynch@garciaironworks.com",
            "telephone1": "689.989.5489x362",
        },
    }


def test_an_account_made_from_a_customer_is_a_customer_but_updates_leave_the_type_alone(to_account: Mapping) -> None:
    assert to_account.apply(CUSTOMERS["US"], creating=True)["customertypecode"] == 3
    assert "customertypecode" not in to_account.apply(CUSTOMERS["US"], creating=False)


def test_a_customer_without_a_person_has_no_contact_and_keeps_email_on_the_account(to_account: Mapping) -> None:
    out = to_account.apply(CUSTOMERS["CA_NO_PERSON"], creating=True)
    assert "primarycontactid" not in out
    assert (out["emailaddress1"], out["telephone1"]) == ("orders@tranvasquez.ca", "564 060 6507")


def test_the_iso_code_becomes_the_country_name(to_account: Mapping) -> None:
    assert to_account.apply(CUSTOMERS["FR_NO_STATE"])["address1_country"] == "France"


def test_a_missing_postal_code_and_credit_limit_are_written_as_null(to_account: Mapping) -> None:
    out = to_account.apply(CUSTOMERS["DE_NO_POSTAL_NO_LIMIT"])
    assert (out["address1_postalcode"], out["creditlimit"]) == (None, None)


@pytest.mark.parametrize("name", ["CA_DUE_ON_RECEIPT", "US_NET15"])
def test_terms_without_a_dynamics_equivalent_leave_the_account_terms_alone(to_account: Mapping, name: str) -> None:
    assert "paymenttermscode" not in to_account.apply(CUSTOMERS[name])


def test_the_company_name_is_trimmed(to_account: Mapping) -> None:
    assert to_account.apply(CUSTOMERS["DE_NAME_SPACES"])["name"] == "Pohl Schweißtechnik"


def test_a_person_without_a_company_names_the_account_after_the_person(to_account: Mapping) -> None:
    record = {**CUSTOMERS["US"], "CompanyName": None}
    assert to_account.apply(record)["name"] == "Tyler Lynch"


def test_a_customer_without_any_name_fails(to_account: Mapping) -> None:
    record = {**CUSTOMERS["CA_NO_PERSON"], "CompanyName": "  "}
    with pytest.raises(ValidationError, match="name: is required"):
        to_account.apply(record)


def test_the_currency_is_bound_only_on_create(to_account: Mapping) -> None:
    assert "transactioncurrencyid@odata.bind" not in to_account.apply(CUSTOMERS["US"])


def test_a_customer_without_a_billing_address_clears_the_account_address(to_account: Mapping) -> None:
    out = to_account.apply({**CUSTOMERS["US"], "BillingAddress": None})
    assert all(out[f"address1_{p}"] is None for p in ("line1", "city", "postalcode", "country"))


def test_a_bad_credit_limit_fails_with_the_reason(to_account: Mapping) -> None:
    with pytest.raises(ValidationError) as caught:
        to_account.apply({**CUSTOMERS["US"], "CreditLimit": "5,000.00"})
    assert caught.value.field_errors == {"creditlimit": "decimal() cannot convert the text '5,000.00' to a number"}


# -- both ways ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CUSTOMERS))
def test_customer_to_account_and_back_gives_the_same_customer(
    to_account: Mapping, to_customer: Mapping, name: str
) -> None:
    """A change made in TIMS and written to Dynamics comes back unchanged, so the pair settles."""
    customer = CUSTOMERS[name]
    account_payload = to_account.apply(customer, creating=True)
    # What Dynamics would hold: the payload, the contact read back through the expansion, the composite.
    record = {**account_payload, "accountid": "a-1", "primarycontactid": account_payload.get("primarycontactid")}
    back = to_customer.apply(record, context={"source_id": "a-1"})
    for key in ("CompanyName", "FirstName", "LastName", "CreditLimit"):
        assert back[key] == (customer[key].strip() if isinstance(customer[key], str) else customer[key])
    assert back["Email"] == customer["Email"]
    assert back["BillingAddress"] == customer["BillingAddress"]
    if customer["PaymentTerms"] in ("NET30", "NET60"):
        assert back["PaymentTerms"] == customer["PaymentTerms"]
