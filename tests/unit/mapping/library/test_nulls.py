from tests.unit.mapping.helpers import evaluate


def test_coalesce_takes_the_first_value_that_is_not_null() -> None:
    assert evaluate("coalesce(a, b, 'x')", {"b": ""}) == ""
    assert evaluate("coalesce(a, b)", {}) is None


def test_coalesce_does_not_evaluate_fallbacks_it_does_not_need() -> None:
    assert evaluate("coalesce(a, integer(b))", {"a": 1, "b": "not a number"}) == 1


def test_default_treats_blank_text_as_missing() -> None:
    record = {"contact": {"email": "  "}, "email": "orders@coopersteel.co.uk"}
    assert evaluate("default(contact.email, email)", record) == "orders@coopersteel.co.uk"


def test_default_keeps_a_value() -> None:
    assert evaluate("default(a, 'x')", {"a": 0}) == 0


def test_default_evaluates_its_fallback_only_when_needed() -> None:
    assert evaluate("default(a, integer(b))", {"a": "x", "b": "y"}) == "x"


def test_nullif_turns_a_placeholder_into_null() -> None:
    assert evaluate("nullif(a, 'n/a')", {"a": "n/a"}) is None
    assert evaluate("nullif(a, 'n/a')", {"a": "US"}) == "US"
