import pytest

from tests.unit.mapping.helpers import evaluate, failure


def test_trim_removes_spaces_tabs_and_line_breaks_at_both_ends() -> None:
    assert evaluate("trim(a)", {"a": "\t  Lopez Auto Body \r\n"}) == "Lopez Auto Body"


@pytest.mark.parametrize("function", ["trim", "upper", "lower"])
def test_null_stays_null(function: str) -> None:
    assert evaluate(f"{function}(a)", {}) is None


def test_upper_and_lower() -> None:
    assert evaluate("upper(a)", {"a": "Straße"}) == "STRASSE"
    assert evaluate("lower(a)", {"a": "ÉCOLE"}) == "école"


def test_text_functions_refuse_numbers() -> None:
    assert failure("trim(a)", {"a": 5}) == "trim() expects text, got number 5"


def test_replace_every_occurrence() -> None:
    assert evaluate("replace(a, '.', '-')", {"a": "689.989.5489"}) == "689-989-5489"


def test_substring_cuts_to_a_length() -> None:
    assert evaluate("substring(a, 0, 4)", {"a": "Vasquez"}) == "Vasq"
    assert evaluate("substring(a, 3)", {"a": "Vasquez"}) == "quez"
    assert evaluate("substring(a, 0, 50)", {"a": "Vasquez"}) == "Vasquez"


def test_substring_refuses_a_negative_start() -> None:
    assert "start must be 0 or more" in failure("substring(a, -1)", {"a": "x"})


def test_length_of_text_and_lists() -> None:
    assert evaluate("length(a)", {"a": "abc"}) == 3
    assert evaluate("length(split(a, ','))", {"a": "a,b"}) == 2


def test_length_of_a_number_fails() -> None:
    assert "length() expects text or a list" in failure("length(a)", {"a": 1})
