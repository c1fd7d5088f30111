from decimal import Decimal

from ferry.mapping.suggest import Field
from ferry.mapping.suggest.signals import (
    description_score,
    expected_kind,
    lookup_match,
    name_score,
    type_score,
    value_score,
)
from ferry.mapping.suggest.values import dominant_kind, kind_of


def test_values_are_recognised_by_kind() -> None:
    assert kind_of("ann@example.com") == "email"
    assert kind_of("+1 (406) 555-0100") == "phone"
    assert kind_of("2026-03-01") == "date"
    assert kind_of("2026-03-01T10:00:00Z") == "date"
    assert kind_of("US") == "country_code"
    assert kind_of("United Kingdom") == "country_name"
    assert kind_of("USD") == "currency_code"
    assert kind_of(Decimal("12.50")) == "amount"
    assert kind_of("12.50") == "amount"
    assert kind_of(3) == "integer"
    assert kind_of("Acme Ltd") == "text"
    assert kind_of(None) is None


def test_a_dominant_kind_needs_two_thirds_of_the_samples() -> None:
    assert dominant_kind(["a@b.com", "c@d.org", None, "x"]) == "email"
    assert dominant_kind(["a@b.com", "b@c.com", "x", "y"]) is None


def test_names_sharing_telling_words_score_higher_than_names_sharing_only_weak_ones() -> None:
    strong, why = name_score("BillingAddress.City", "address1_city")
    weak, _ = name_score("BillingAddress.City", "address1_postalcode")
    assert strong > 0.5 > weak
    assert "city" in why


def test_the_expected_kind_comes_from_samples_then_type_then_name() -> None:
    assert expected_kind(Field("Contact", samples=("a@b.com",))) == "email"
    assert expected_kind(Field("Opened", type="date")) == "date"
    assert expected_kind(Field("BillingAddress.Country")) == "country"
    assert expected_kind(Field("Notes")) is None


def test_sample_values_confirm_or_rule_out_a_source() -> None:
    target = Field("Email")
    assert value_score(target, Field("x", samples=("a@b.com",)))[0] == 1.0
    assert value_score(target, Field("x", samples=("+1 406 555 0100",)))[0] == -1.0
    assert value_score(target, Field("x"))[0] == 0.0


def test_a_description_that_mentions_the_target_counts() -> None:
    score, why = description_score(Field("PostalCode"), Field("pstlz", description="Postal code of the city"))
    assert score == 1.0 and why is not None and "postal" in why
    assert description_score(Field("PostalCode"), Field("ort01", description="City"))[0] == 0.0


def test_types_nudge() -> None:
    assert type_score(Field("a", "date"), Field("b", "datetime")) == 0.5
    assert type_score(Field("a", "date"), Field("b", "money")) == -1.0
    assert type_score(Field("a", "string"), Field("b", "integer")) == 0.0
    assert type_score(Field("a"), Field("b", "money")) == 0.0


def test_option_set_codes_match_the_lookup_table_whose_keys_cover_them() -> None:
    tables = {"payment_terms": (1, 4), "currency": ("US", "GB")}
    assert lookup_match(Field("paymenttermscode", samples=(1, 4, 1)), tables) == "payment_terms"
    assert lookup_match(Field("paymenttermscode", samples=(1, 2)), tables) is None
    assert lookup_match(Field("paymenttermscode"), tables) is None
