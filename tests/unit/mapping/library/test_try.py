from tests.unit.mapping.helpers import evaluate, failure


def test_try_gives_the_fallback_when_the_value_fails() -> None:
    assert evaluate("try(integer(a), -1)", {"a": "about forty"}) == -1


def test_try_gives_the_value_when_it_works() -> None:
    assert evaluate("try(integer(a), -1)", {"a": "40"}) == 40


def test_a_failing_fallback_still_fails() -> None:
    assert "decimal()" in failure("try(integer(a), decimal(a))", {"a": "x"})
