from tests.unit.mapping.helpers import evaluate, failure


def test_split_at_a_separator() -> None:
    assert evaluate("split(a, ', ')", {"a": "Lake Daniel, East Dunbartonshire"}) == [
        "Lake Daniel",
        "East Dunbartonshire",
    ]


def test_split_at_whitespace_without_a_separator() -> None:
    assert evaluate("split(a)", {"a": "  Janice   Clarke "}) == ["Janice", "Clarke"]


def test_take_a_part_by_index() -> None:
    assert evaluate("split(a, ' ')[-1]", {"a": "Janice Clarke"}) == "Clarke"


def test_split_of_null_is_null() -> None:
    assert evaluate("split(a, ' ')", {}) is None


def test_an_empty_separator_fails() -> None:
    assert failure("split(a, '')", {"a": "x"}) == "split() separator must not be empty"
