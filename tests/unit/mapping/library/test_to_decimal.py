from decimal import Decimal

import pytest

from tests.unit.mapping.helpers import evaluate, failure


@pytest.mark.parametrize(
    ("value", "number"),
    [("25000.00", Decimal("25000.00")), (" -1.5 ", Decimal("-1.5")), (".5", Decimal("0.5")), (3, Decimal(3))],
)
def test_decimal_reads_exact_numbers(value: object, number: Decimal) -> None:
    result = evaluate("decimal(a)", {"a": value})
    assert result == number and isinstance(result, Decimal)


def test_decimal_keeps_the_written_places() -> None:
    assert str(evaluate("decimal(a)", {"a": "25000.00"})) == "25000.00"


def test_a_float_goes_through_its_shortest_text_not_its_binary_value() -> None:
    assert evaluate("decimal(a)", {"a": 0.1}) == Decimal("0.1")


@pytest.mark.parametrize("value", ["1,000.00", "1e3", "NaN", "twelve", ""])
def test_decimal_refuses_other_text(value: str) -> None:
    assert failure("decimal(a)", {"a": value}).startswith("decimal() cannot convert the text")


def test_decimal_refuses_a_boolean() -> None:
    assert failure("decimal(a)", {"a": False}) == "decimal() cannot convert the boolean False to a number"
