from decimal import Decimal

import pytest

from ferry.mapping.source import YamlSyntaxError, parse_yaml


def test_keys_and_values_keep_their_places_and_styles() -> None:
    doc = parse_yaml("version: 1\nfields:\n  a: trim(x)\n  b: 'q'\n  c: \"d\"\n  e: |\n    f\n", "m.yaml")
    assert doc.keys[("fields", "a")].line == 3
    assert doc.values[("fields", "a")].column == 6
    styles = [doc.values[("fields", k)].style for k in "abce"]
    assert styles == ["plain", "single", "double", "literal"]


def test_values_are_plain_python() -> None:
    doc = parse_yaml("a: 1.50\nb: [1, x]\nc: {d: true}\ne: ~\n", "m.yaml")
    assert doc.data == {"a": Decimal("1.50"), "b": [1, "x"], "c": {"d": True}, "e": None}
    assert type(doc.data["b"][1]) is str


def test_yes_and_no_are_text_as_yaml_1_2_says() -> None:
    assert parse_yaml("a: yes\n", "m.yaml").data == {"a": "yes"}


def test_a_problem_falls_back_to_the_nearest_written_key() -> None:
    doc = parse_yaml("fields:\n  a:\n    value: x\n", "m.yaml")
    problem = doc.problem(("fields", "a", "field", "valu"), "unknown key")
    assert (problem.line, problem.column, problem.message) == (2, 3, "fields.a: unknown key")


def test_syntax_errors_carry_the_place() -> None:
    with pytest.raises(YamlSyntaxError) as caught:
        parse_yaml("a: [1, 2\n", "m.yaml")
    assert caught.value.problem.file == "m.yaml"
    assert caught.value.problem.line is not None


def test_keys_merged_from_an_anchor_are_read_and_placed_where_the_anchor_writes_them() -> None:
    text = "a: &shared\n  x: one\n  y: two\nb:\n  <<: *shared\n  y: own\n"
    doc = parse_yaml(text, "m.yaml")
    assert doc.data == {"a": {"x": "one", "y": "two"}, "b": {"x": "one", "y": "own"}}
    assert doc.keys[("b", "x")].line == 2  # a problem with b.x points at the anchor's x
    assert doc.keys[("b", "y")].line == 6
