import pytest

from ferry.mapping.lexer import ExpressionSyntaxError
from ferry.mapping.nodes import Attr, Binary, Call, Case, If, Index, Literal, Path, Unary
from ferry.mapping.parser import parse


def test_dotted_names_are_one_path() -> None:
    node = parse("primarycontactid.firstname")
    assert isinstance(node, Path)
    assert node.segments == ("primarycontactid", "firstname")
    assert not node.context


def test_context_paths_are_marked() -> None:
    node = parse("context.source_id")
    assert isinstance(node, Path) and node.context


def test_a_backquoted_context_is_a_source_field() -> None:
    node = parse("`context`.x")
    assert isinstance(node, Path) and not node.context


def test_multiplication_binds_tighter_than_addition() -> None:
    node = parse("a + b * c")
    assert isinstance(node, Binary) and node.op == "+"
    assert isinstance(node.right, Binary) and node.right.op == "*"


def test_parentheses_group() -> None:
    node = parse("(a + b) * c")
    assert isinstance(node, Binary) and node.op == "*"
    assert isinstance(node.left, Binary) and node.left.op == "+"


def test_and_binds_tighter_than_or_and_not_tighter_than_and() -> None:
    node = parse("not a and b or c")
    assert isinstance(node, Binary) and node.op == "or"
    assert isinstance(node.left, Binary) and node.left.op == "and"
    assert isinstance(node.left.left, Unary) and node.left.left.op == "not"


def test_not_applies_to_a_whole_comparison() -> None:
    node = parse("not a == b")
    assert isinstance(node, Unary) and isinstance(node.operand, Binary)


def test_a_negative_number_is_a_literal() -> None:
    assert parse("-3") == Literal(-3, start=0, end=2)


def test_calls_take_any_expressions_as_arguments() -> None:
    node = parse("concat(a, ' ', trim(b))")
    assert isinstance(node, Call) and node.name == "concat"
    assert [type(a) for a in node.args] == [Path, Literal, Call]


def test_items_and_fields_of_results() -> None:
    node = parse("split(a, ' ')[0]")
    assert isinstance(node, Index) and isinstance(node.target, Call)
    attr = parse("parse_address(x).city")
    assert isinstance(attr, Attr) and attr.name == "city"


def test_if_then_else_nests_in_the_else_branch() -> None:
    node = parse("if a then 1 else if b then 2 else 3")
    assert isinstance(node, If) and isinstance(node.otherwise, If)


def test_if_without_else() -> None:
    node = parse("if a then 1")
    assert isinstance(node, If) and node.otherwise is None


def test_case_with_and_without_subject() -> None:
    switch = parse("case x when 1 then 'a' when 2 then 'b' else 'c' end")
    assert isinstance(switch, Case) and switch.subject is not None and len(switch.whens) == 2
    conditions = parse("case when x > 1 then 'big' end")
    assert isinstance(conditions, Case) and conditions.subject is None and conditions.otherwise is None


def test_keywords_are_field_names_after_a_dot() -> None:
    node = parse("a.end")
    assert isinstance(node, Path) and node.segments == ("a", "end")


@pytest.mark.parametrize(
    ("text", "message", "offset"),
    [
        ("", "the expression is empty", 0),
        ("a ==", "the expression ends too early", 4),
        ("a < b < c", "comparisons cannot be chained", 6),
        ("trim(a b)", "expected ',' or ')' in the call to trim()", 7),
        ("if a 1", "expected 'then' after the condition of `if`", 5),
        ("case x then 1 end", "expected 'when' in `case`", 7),
        ("case when a then 1", "expected 'end' to close `case`", 18),
        ("a b", "unexpected 'b' after a complete expression", 2),
        ("(a", "expected ')' to close '('", 2),
        ("a.trim(b)", "functions are not methods", 2),
        ("then", "unexpected 'then'", 0),
    ],
)
def test_syntax_errors_point_at_the_offending_token(text: str, message: str, offset: int) -> None:
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse(text)
    assert message in caught.value.message
    assert caught.value.offset == offset


def test_a_keyword_where_a_value_belongs_suggests_backquotes() -> None:
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse("end")
    assert caught.value.hint == "to read a field named end, write `end`"
