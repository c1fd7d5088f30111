from decimal import Decimal

import pytest

from ferry.mapping.lexer import ExpressionSyntaxError, tokenize


def kinds(text: str) -> list[tuple[str, object]]:
    return [(t.kind, t.value) for t in tokenize(text)][:-1]


def test_names_keywords_and_operators_are_told_apart() -> None:
    assert kinds("if a >= 1 then b") == [
        ("keyword", "if"),
        ("name", "a"),
        ("op", ">="),
        ("number", 1),
        ("keyword", "then"),
        ("name", "b"),
    ]


def test_a_number_with_a_point_is_a_decimal_never_a_float() -> None:
    (token,) = tokenize("12.50")[:-1]
    assert token.value == Decimal("12.50")
    assert isinstance(token.value, Decimal)


def test_a_dot_after_a_number_without_digits_is_an_operator() -> None:
    assert kinds("x[0].y") == [("name", "x"), ("op", "["), ("number", 0), ("op", "]"), ("op", "."), ("name", "y")]


def test_text_in_either_quote_with_escapes() -> None:
    assert kinds(r"'it\'s' " + '"a\\r\\nb\\u00e9"') == [("string", "it's"), ("string", "a\r\nb\u00e9")]


def test_backquotes_quote_any_name() -> None:
    assert kinds("`@odata.etag`") == [("quoted_name", "@odata.etag")]


def test_tokens_keep_their_offsets() -> None:
    token = tokenize("a  +  bcd")[2]
    assert (token.value, token.start, token.end) == ("bcd", 6, 9)


@pytest.mark.parametrize(
    ("text", "offset", "hint"),
    [
        ("a = b", 2, "write `==` to compare"),
        ("a && b", 2, "write `and`"),
        ("a || b", 2, "write `or`"),
        ("!a", 0, "write `not`, or `!=` to compare"),
        ("'open", 0, "close it with '"),
        ("`open", 0, "close it with another backquote"),
    ],
)
def test_mistakes_say_what_to_write_instead(text: str, offset: int, hint: str) -> None:
    with pytest.raises(ExpressionSyntaxError) as caught:
        tokenize(text)
    assert (caught.value.offset, caught.value.hint) == (offset, hint)


def test_a_name_cannot_start_with_a_digit() -> None:
    with pytest.raises(ExpressionSyntaxError, match="malformed number"):
        tokenize("1abc")


def test_unknown_escapes_are_refused() -> None:
    with pytest.raises(ExpressionSyntaxError, match=r"unknown escape \\q"):
        tokenize(r"'\q'")
