import datetime as dt
from decimal import Decimal

import pytest

from tests.unit.mapping.helpers import evaluate, failure


def test_arithmetic_is_exact() -> None:
    assert evaluate("a + b", {"a": Decimal("0.10"), "b": Decimal("0.20")}) == Decimal("0.30")


def test_integers_stay_integers_until_divided() -> None:
    assert evaluate("2 * 3 - 1") == 5
    assert evaluate("7 / 2") == Decimal("3.5")


def test_a_float_from_a_loose_json_parser_is_taken_by_its_digits() -> None:
    assert evaluate("a * 3", {"a": 0.1}) == Decimal("0.3")


def test_arithmetic_with_null_is_null() -> None:
    assert evaluate("a + 1", {}) is None


def test_adding_text_fails_and_points_at_concat() -> None:
    assert "use concat() to join text" in failure("a + 'x'", {"a": "y"})


def test_dividing_by_zero_fails_the_record() -> None:
    assert failure("a / 0", {"a": 1}) == "cannot divide 1 by zero"


def test_negating_text_fails() -> None:
    assert "cannot negate text" in failure("-a", {"a": "x"})


def test_equality_across_number_kinds() -> None:
    assert evaluate("a == 1", {"a": Decimal("1.00")}) is True


def test_text_never_equals_a_number() -> None:
    assert evaluate("a == 1", {"a": "1"}) is False


def test_a_boolean_never_equals_a_number() -> None:
    assert evaluate("a == 1", {"a": True}) is False


def test_null_equals_only_null() -> None:
    assert evaluate("a == null", {}) is True
    assert evaluate("a != null", {"a": 0}) is True


@pytest.mark.parametrize(
    ("expression", "expected"),
    [("a < 10", True), ("a <= 5", True), ("a > 5", False), ("a >= 6", False)],
)
def test_numbers_are_ordered(expression: str, expected: bool) -> None:
    assert evaluate(expression, {"a": 5}) is expected


def test_dates_and_texts_are_ordered() -> None:
    assert evaluate("a < b", {"a": dt.date(2026, 1, 1), "b": dt.date(2026, 2, 1)}) is True
    assert evaluate("'apple' < 'pear'") is True


def test_ordering_with_null_is_null() -> None:
    assert evaluate("a < 1", {}) is None


def test_ordering_text_against_a_number_fails() -> None:
    assert "cannot compare text 'x' < number 1" in failure("a < 1", {"a": "x"})


def test_and_or_give_booleans_and_stop_early() -> None:
    assert evaluate("a and b", {"a": "x", "b": 0}) is True
    assert evaluate("a or b", {"a": "", "b": None}) is False
    # The right side would fail; it is never evaluated.
    assert evaluate("a == null or integer(a) > 1", {}) is True


def test_not_of_empty_text_is_true() -> None:
    assert evaluate("not a", {"a": ""}) is True
