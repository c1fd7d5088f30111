import pytest

from tests.unit.mapping.helpers import evaluate, failure


@pytest.mark.parametrize(
    ("value", "result"),
    [(True, True), ("Yes", True), ("on", True), (1, True), ("FALSE", False), ("n", False), (0, False), ("0", False)],
)
def test_boolean_reads_the_usual_spellings(value: object, result: bool) -> None:
    assert evaluate("boolean(a)", {"a": value}) is result


@pytest.mark.parametrize("value", ["maybe", 2, ""])
def test_boolean_refuses_anything_else(value: object) -> None:
    assert "to true or false" in failure("boolean(a)", {"a": value})
