from decimal import Decimal

import pytest

from tests.unit.mapping.helpers import evaluate, failure


@pytest.mark.parametrize(("value", "number"), [(12, 12), ("12", 12), (" -3 ", -3), ("12.00", 12), (Decimal("7.0"), 7)])
def test_integer_accepts_whole_numbers(value: object, number: int) -> None:
    result = evaluate("integer(a)", {"a": value})
    assert result == number and type(result) is int


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("12.5", "integer() cannot convert the text '12.5' to a whole number"),
        (Decimal("12.5"), "integer() cannot convert 12.5 to a whole number without losing its fraction"),
        (True, "integer() cannot convert the boolean True to a whole number"),
        ("1,000", "integer() cannot convert the text '1,000' to a whole number"),
        ([1], "integer() cannot convert list to a whole number"),
    ],
)
def test_integer_refuses_what_is_not_a_whole_number(value: object, reason: str) -> None:
    assert failure("integer(a)", {"a": value}) == reason


def test_integer_of_null_is_null() -> None:
    assert evaluate("integer(a)", {}) is None
