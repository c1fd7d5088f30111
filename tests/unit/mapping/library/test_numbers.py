from decimal import Decimal

import pytest

from tests.unit.mapping.helpers import evaluate, failure


@pytest.mark.parametrize(
    ("value", "places", "result"),
    [
        (Decimal("100000.0000"), 2, "100000.00"),
        (Decimal("2.345"), 2, "2.35"),
        (Decimal("-2.345"), 2, "-2.35"),
        (Decimal("2.5"), 0, "3"),
        (7, 2, "7.00"),
    ],
)
def test_round_half_away_from_zero_to_exact_places(value: object, places: int, result: str) -> None:
    assert str(evaluate(f"round(a, {places})", {"a": value})) == result


def test_round_of_null_is_null() -> None:
    assert evaluate("round(a, 2)", {}) is None


def test_round_refuses_text() -> None:
    assert failure("round(a, 2)", {"a": "1.5"}) == "round() expects a number, got text"


def test_round_refuses_silly_places() -> None:
    assert "between 0 and 12" in failure("round(a, 40)", {"a": 1})


def test_abs() -> None:
    assert evaluate("abs(a)", {"a": Decimal("-12.50")}) == Decimal("12.50")
    assert evaluate("abs(a)", {"a": -3}) == 3
