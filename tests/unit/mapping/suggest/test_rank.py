from decimal import Decimal

from ferry.mapping.suggest import Field, suggest

ACCOUNT = (
    Field("name", "string", "Account Name", (" Acme Brewing ",)),
    Field("emailaddress1", "string", "Email", ("ap@acme.example",)),
    Field("telephone1", "string", "Main Phone", ("+1 406 555 0100",)),
    Field("address1_city", "string", "Address 1: City"),
    Field("address1_postalcode", "string", "Address 1: ZIP/Postal Code"),
    Field("address1_country", "string", "Address 1: Country/Region", ("United States",)),
    Field("creditlimit", "money", "Credit Limit", (Decimal("5000.0000"),)),
    Field("paymenttermscode", "integer", "Payment Terms", (1, 4)),
    Field("createdon", "datetime", "Created On"),
)


def first(target: Field, **kw: object) -> tuple[str, str]:
    best = suggest(target, ACCOUNT, **kw)[0]  # type: ignore[arg-type]
    return best.source, best.expression


def test_the_likeliest_source_ranks_first_for_common_crm_to_erp_fields() -> None:
    assert first(Field("Email"))[0] == "emailaddress1"
    assert first(Field("Phone"))[0] == "telephone1"
    assert first(Field("BillingAddress.PostalCode"))[0] == "address1_postalcode"
    assert first(Field("BillingAddress.City"))[0] == "address1_city"


def test_the_transform_follows_what_the_values_need() -> None:
    assert first(Field("BillingAddress.Country")) == ("address1_country", "country_code(address1_country)")
    assert first(Field("CompanyName", "string")) == ("name", "trim(name)")
    assert first(Field("CreditLimit", "string")) == ("creditlimit", "string(round(creditlimit, 2))")
    assert first(Field("PaymentTerms"), lookups={"payment_terms": (1, 4)}) == (
        "paymenttermscode",
        "lookup('payment_terms', paymenttermscode)",
    )


def test_codes_become_country_names_when_the_target_holds_names() -> None:
    sources = (Field("Country", "string", None, ("US", "GB")),)
    best = suggest(Field("address1_country", samples=("United States",)), sources)[0]
    assert best.expression == "country_name(Country)"


def test_text_becomes_a_decimal_or_a_date() -> None:
    assert suggest(Field("amount", "decimal"), (Field("Amount", "string"),))[0].expression == "decimal(Amount)"
    dated = suggest(Field("InvoiceDate", "date"), (Field("invoicedate", "string", None, ("2026-01-02",)),))[0]
    assert dated.expression == "date(invoicedate)"


def test_suggestions_are_ranked_with_confidences_in_0_1_and_a_reason() -> None:
    suggestions = suggest(Field("Email"), ACCOUNT, limit=3)
    assert 1 <= len(suggestions) <= 3
    confidences = [s.confidence for s in suggestions]
    assert confidences == sorted(confidences, reverse=True)
    assert all(0 <= c <= 1 for c in confidences)
    assert all(s.reason and "\n" not in s.reason for s in suggestions)
    assert "email" in suggestions[0].reason


def test_values_break_a_tie_between_names() -> None:
    sources = (Field("contact1", samples=("+1 406 555 0100",)), Field("contact2", samples=("ann@example.com",)))
    assert suggest(Field("ContactEmail"), sources)[0].source == "contact2"


def test_nothing_alike_gives_no_suggestion() -> None:
    assert suggest(Field("Email"), (Field("xyzzy"), Field("plugh"))) == []
