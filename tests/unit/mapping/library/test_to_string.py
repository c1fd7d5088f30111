import datetime as dt
from decimal import Decimal

import pytest

from tests.unit.mapping.helpers import evaluate, failure


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("x", "x"),
        (12, "12"),
        (Decimal("25000.0000"), "25000.0000"),
        (Decimal("2.5E+4"), "25000"),
        (True, "true"),
        (dt.date(2026, 11, 22), "2026-11-22"),
        (dt.datetime(2026, 11, 22, 8, 15, 30, tzinfo=dt.UTC), "2026-11-22T08:15:30Z"),
        (dt.datetime(2026, 11, 22, 8, 15, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))), "2026-11-22T08:15:30+01:00"),
    ],
)
def test_string_writes_each_kind_of_value(value: object, text: str) -> None:
    assert evaluate("string(a)", {"a": value}) == text


def test_string_of_null_is_null() -> None:
    assert evaluate("string(a)", {}) is None


def test_string_of_a_list_fails() -> None:
    assert failure("string(a)", {"a": [1]}) == "string() cannot write list as text"
