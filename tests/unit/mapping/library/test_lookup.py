from tests.unit.mapping.helpers import evaluate, failure

TERMS = {"payment_terms": {"values": {1: "NET30", 4: "NET60"}, "default": "NET30"}}


def test_lookup_a_listed_code() -> None:
    assert evaluate("lookup('payment_terms', code)", {"code": 4}, lookups=TERMS) == "NET60"


def test_lookup_an_unlisted_code_gives_the_default() -> None:
    assert evaluate("lookup('payment_terms', code)", {"code": 3}, lookups=TERMS) == "NET30"


def test_lookup_of_null_is_null() -> None:
    assert evaluate("lookup('payment_terms', code)", {}, lookups=TERMS) is None


def test_a_strict_table_fails_the_record_on_a_miss() -> None:
    strict = {"t": {"values": {"NET30": 1}, "strict": True}}
    assert (
        failure("lookup('t', terms)", {"terms": "NET15"}, lookups=strict) == "lookup table 't' has no entry for 'NET15'"
    )


def test_a_case_blind_table() -> None:
    names = {"c": {"values": {"United States": "US"}, "ignore_case": True}}
    assert evaluate("lookup('c', name)", {"name": "united STATES"}, lookups=names) == "US"
