"""Loading mapping files: every problem at once, each with file, line, column and a hint."""

from decimal import Decimal
from pathlib import Path

import pytest

from ferry.core.problems import Problem, ProblemsError
from ferry.mapping import check, compile_mapping, load


def problems_in(text: str, **kwargs: object) -> list[Problem]:
    with pytest.raises(ProblemsError) as caught:
        compile_mapping(text, name="m.yaml", **kwargs)  # type: ignore[arg-type]
    return caught.value.problems


def where(problem: Problem) -> tuple[int | None, int | None]:
    return problem.line, problem.column


def test_a_good_file_loads_and_is_named_after_itself(tmp_path: Path) -> None:
    path = tmp_path / "account-to-customer.yaml"
    path.write_text("version: 1\nfields:\n  CompanyName: trim(name)\n")
    mapping = load(path)
    assert mapping.name == "account-to-customer"
    assert check(path) == []


def test_the_name_key_wins_over_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("version: 1\nname: accounts\nfields: {a: b}\n")
    assert load(path).name == "accounts"


def test_load_raises_every_problem_with_a_summary(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("version: 1\nfields:\n  a: trm(x)\n  b: concat(\n")
    with pytest.raises(ProblemsError) as caught:
        load(path)
    assert len(caught.value.problems) == 2
    assert str(caught.value).startswith(f"{path}: the mapping has 2 problems:")


def test_a_missing_file_is_a_problem(tmp_path: Path) -> None:
    (problem,) = check(tmp_path / "nope.yaml")
    assert problem.message.startswith("cannot read the mapping")


def test_yaml_syntax_errors_have_line_and_column() -> None:
    (problem,) = problems_in("version: 1\nfields:\n  a: b\n   c: d\n")
    assert problem.message.startswith("invalid YAML: mapping values are not allowed here")
    assert where(problem) == (4, 5)
    assert problem.file == "m.yaml"


def test_duplicate_keys_are_reported() -> None:
    (problem,) = problems_in("version: 1\nfields:\n  a: b\n  a: c\n")
    assert "duplicate key" in problem.message
    assert problem.hint == "each key may appear once; remove or rename one"


def test_a_file_that_is_not_an_object() -> None:
    (problem,) = problems_in("- a\n- b\n")
    assert "a mapping is an object with `version` and `fields`" in problem.message


def test_unknown_keys_are_reported_where_they_are_with_a_suggestion() -> None:
    (problem,) = problems_in("version: 1\nif_nul: omit\nfields: {a: b}\n")
    assert problem.message == "if_nul: unknown key 'if_nul'"
    assert where(problem) == (2, 1)
    assert problem.hint == "did you mean 'if_null'?"


def test_unknown_keys_inside_a_field() -> None:
    (problem,) = problems_in("version: 1\nfields:\n  a:\n    valu: b\n")
    assert problem.message == "fields.a.valu: unknown key 'valu'"
    assert where(problem) == (4, 5)


def test_missing_fields() -> None:
    (problem,) = problems_in("version: 1\n")
    assert problem.message == "missing required key 'fields'"


def test_a_wrong_choice() -> None:
    (problem,) = problems_in("version: 1\nif_null: maybe\nfields: {a: b}\n")
    assert problem.message.startswith("if_null: input should be 'write', 'omit' or 'fail'")


def test_a_field_needs_value_or_const_but_not_both() -> None:
    (problem,) = problems_in("version: 1\nfields:\n  a: {value: b, const: 1}\n")
    assert "give exactly one of `value` (an expression) or `const` (a constant)" in problem.message


def test_a_list_is_not_a_field() -> None:
    (problem,) = problems_in("version: 1\nfields:\n  a: [1, 2]\n")
    assert problem.message.startswith("fields.a: a field is an expression (text), a constant")


@pytest.mark.parametrize("line", ["  a: trim(x) + * 2", '  a: "trim(x) + * 2"', "  a: 'trim(x) + * 2'"])
def test_expression_errors_point_at_the_character(line: str) -> None:
    (problem,) = problems_in(f"version: 1\nfields:\n{line}\n")
    assert problem.message == "fields.a: unexpected '*'"
    assert problem.line == 3
    assert problem.column is not None and line[problem.column - 1] == "*"


def test_expression_errors_in_a_block_give_the_line_and_quote_the_text() -> None:
    (problem,) = problems_in("version: 1\nfields:\n  a: >-\n    concat(x,\n      y z)\n")
    assert problem.line == 5
    assert problem.message.endswith("(at `z)`)")


def test_expression_errors_in_long_form_keys() -> None:
    (problem,) = problems_in("version: 1\nfields:\n  a:\n    value: x\n    when: nope(x)\n")
    assert problem.message.startswith("fields.a.when: unknown function nope()")
    assert where(problem) == (5, 11)


def test_every_problem_is_reported_at_once_in_file_order() -> None:
    text = (
        "version: 1\n"
        "colour: red\n"
        "lookups:\n  t: {values: {1: a}}\n"
        "fields:\n"
        "  a: trm(x)\n"
        "  b: lookup('u', x)\n"
        "  c: round()\n"
        "  d: {valu: x}\n"
        "  e: context.nope\n"
    )
    found = problems_in(text)
    assert [p.line for p in found] == [2, 6, 7, 8, 9, 10]


def test_lookup_needs_a_declared_table_named_in_quotes() -> None:
    text = "version: 1\nlookups:\n  terms: {values: {1: NET30}}\nfields:\n  a: lookup('term', x)\n  b: lookup(t, x)\n"
    first, second = problems_in(text)
    assert first.message == "fields.a: unknown lookup table 'term'"
    assert first.hint == "declare it under `lookups:` (declared: terms)"
    assert second.message == "fields.b: the first argument of lookup() must be a table name in quotes"


def test_a_path_written_twice() -> None:
    (problem,) = problems_in("version: 1\nfields:\n  a.b: x\n  '`a`.b': y\n")
    assert "is written twice" in problem.message


def test_a_path_that_is_both_a_field_and_an_object() -> None:
    (problem,) = problems_in("version: 1\nfields:\n  A: x\n  A.b: y\n")
    assert problem.message == "fields.A.b: 'A' is a field, so 'A.b' cannot be written inside it"


def test_an_object_that_is_also_written_as_a_field() -> None:
    (problem,) = problems_in("version: 1\nfields:\n  A.b: y\n  A: x\n")
    assert "written twice" in problem.message


def test_settings_for_an_object_without_fields() -> None:
    (problem,) = problems_in("version: 1\nobjects:\n  Adress: {if_empty: omit}\nfields:\n  Address.City: c\n")
    assert problem.message == "objects.Adress: no field is written under 'Adress'"
    assert where(problem) == (3, 3)


def test_a_malformed_target_path() -> None:
    (problem,) = problems_in("version: 1\nfields:\n  a..b: x\n")
    assert "empty part in the path" in problem.message


def test_unknown_source_fields_are_reported_when_the_fields_are_known() -> None:
    text = "version: 1\nfields:\n  a: trim(nmae)\n  b: primarycontactid.firstname\n  c: name\n"
    (problem,) = problems_in(text, source_fields={"name", "primarycontactid"})
    assert problem.message == "fields.a: unknown source field 'nmae'"
    assert problem.hint == "did you mean 'name'?"
    assert where(problem) == (3, 11)


def test_source_fields_may_be_dotted() -> None:
    text = "version: 1\nfields:\n  a: contact.first\n  b: contact.frist\n"
    (problem,) = problems_in(text, source_fields={"contact.first"})
    assert "'contact.frist'" in problem.message


def test_other_problems_are_found_even_when_the_format_is_wrong() -> None:
    found = problems_in("version: 1\nfields:\n  a: {valu: x}\n  b: trm(x)\n")
    assert len(found) == 2


def test_yaml_numbers_are_decimals() -> None:
    mapping = compile_mapping(
        "version: 1\nlookups:\n  r: {values: {a: 1.10}}\nfields:\n  x: 12.50\n  y: lookup('r', 'a')\n"
    )
    assert mapping.apply({}) == {"x": Decimal("12.50"), "y": Decimal("1.10")}


def test_unsupported_yaml_numbers_are_reported() -> None:
    (problem,) = problems_in("version: 1\nfields:\n  x: .inf\n")
    assert "the number .inf is not supported" in problem.message


def test_a_dict_spec_reports_without_lines() -> None:
    with pytest.raises(ProblemsError) as caught:
        compile_mapping({"version": 1, "fields": {"a": "trm(x)"}}, name="inline")
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.message) == ("inline", None, "fields.a: unknown function trm()")
