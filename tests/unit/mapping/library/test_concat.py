import datetime as dt
from decimal import Decimal

from tests.unit.mapping.helpers import evaluate, failure


def test_concat_writes_values_one_after_another() -> None:
    assert evaluate("concat(a, ' ', b)", {"a": "Janice", "b": "Clarke"}) == "Janice Clarke"


def test_concat_writes_numbers_and_dates_as_string_does() -> None:
    record = {"n": Decimal("5000.00"), "d": dt.date(2026, 11, 22), "b": True}
    assert evaluate("concat(n, '/', d, '/', b)", record) == "5000.00/2026-11-22/true"


def test_concat_treats_null_as_empty_but_all_null_is_null() -> None:
    assert evaluate("concat(a, 'x')", {}) == "x"
    assert evaluate("concat(a, b)", {}) is None


def test_join_skips_null_and_blank_values() -> None:
    assert evaluate("join(', ', a, b, c)", {"a": "Dock 3", "b": " ", "c": "Building B"}) == "Dock 3, Building B"


def test_join_of_nothing_is_null() -> None:
    assert evaluate("join(', ', a, b)", {}) is None


def test_join_a_list() -> None:
    assert evaluate("join('-', split(a, ' '))", {"a": "a b c"}) == "a-b-c"


def test_format_fills_placeholders_in_order() -> None:
    assert evaluate("format('{}-{}', a, b)", {"a": "A", "b": 1064}) == "A-1064"


def test_format_is_null_when_any_value_is_null() -> None:
    assert evaluate("format(\"/currencies(code='{}')\", c)", {}) is None


def test_format_writes_braces_when_doubled() -> None:
    assert evaluate("format('{{{}}}', a)", {"a": "x"}) == "{x}"


def test_format_counts_its_placeholders() -> None:
    assert "has 2 '{}' in its template but 1 values" in failure("format('{}{}', a)", {"a": "x"})


def test_format_refuses_a_lone_brace() -> None:
    assert "template has a lone '{'" in failure("format('{x}', a)", {"a": "x"})
