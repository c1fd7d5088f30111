"""Reading mapping test files: the cases, and every problem with its file and line."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from ferry.mapping.cases import find_test_files, load_cases

MAPPING = "version: 1\nname: greet\nfields:\n  Name: trim(name)\n"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "mappings" / "tests").mkdir(parents=True)
    (tmp_path / "mappings" / "greet.yaml").write_text(MAPPING)
    return tmp_path


def write(root: Path, text: str, name: str = "greet.yaml") -> Path:
    path = root / "mappings" / "tests" / name
    path.write_text(text)
    return path


def test_a_file_named_after_its_mapping_reads_every_case(root: Path) -> None:
    path = write(
        root,
        "cases:\n"
        "  - name: trims\n"
        "    input: {name: ' Ann ', amount: 1.50}\n"
        "    context: {source_id: a1}\n"
        "    creating: true\n"
        "    expect: {Name: Ann}\n"
        "  - input: {name: null}\n"
        "    expect_error: required\n"
        "  - input: {name: x}\n"
        "    twins: {customers: {a1: 17}}\n"
        "    expect_subset: {Name: x}\n",
    )
    cases, problems = load_cases(path, root)
    assert problems == []
    assert cases is not None and cases.mapping == Path("mappings/greet.yaml")
    first, second, third = cases.cases
    assert (first.name, first.creating, first.expect) == ("trims", True, {"Name": "Ann"})
    assert first.context == {"source_id": "a1"}
    assert first.input["amount"] == Decimal("1.50") and first.line == 2
    assert (second.name, second.expect_error, second.line) == ("case 2", {"": "required"}, 7)
    assert (third.subset, third.twins) == (True, {"customers": {"a1": 17}})
    assert find_test_files(root) == [path]


def test_a_yaml_syntax_error_names_the_file_and_line(root: Path) -> None:
    path = write(root, "cases:\n  - name: broken\n    input: {name: [unclosed\n")
    cases, problems = load_cases(path, root)
    assert cases is None
    assert problems[0].file == "mappings/tests/greet.yaml"
    assert problems[0].line is not None and problems[0].line >= 3
    assert "invalid YAML" in problems[0].message


def test_an_unknown_mapping_is_a_problem_naming_the_known_ones(root: Path) -> None:
    cases, problems = load_cases(write(root, "cases:\n  - input: {a: 1}\n", "grete.yaml"), root)
    assert cases is None
    assert [(p.file, p.line) for p in problems] == [("mappings/tests/grete.yaml", 1)]
    assert "unknown mapping: mappings/grete.yaml" in problems[0].message
    assert problems[0].hint is not None and "greet" in problems[0].hint


def test_a_named_mapping_that_is_missing_points_at_the_mapping_key(root: Path) -> None:
    _, problems = load_cases(write(root, "# about\nmapping: nothere\ncases:\n  - input: {a: 1}\n"), root)
    assert [(p.line, "unknown mapping" in p.message) for p in problems] == [(2, True)]


def test_a_case_without_input_and_wrong_keys_are_each_reported_with_lines(root: Path) -> None:
    path = write(
        root,
        "cases:\n"
        "  - name: fine\n"
        "    input: {name: a}\n"
        "  - name: no input\n"
        "    expect: {Name: a}\n"
        "  - input: {name: a}\n"
        "    expected: {Name: a}\n"
        "    creating: yes please\n",
    )
    cases, problems = load_cases(path, root)
    assert cases is None
    found = [(p.line, p.message) for p in problems]
    assert (4, "cases.1: case 'no input' has no `input:`") in found
    assert any(line == 7 and "unknown key 'expected'" in text for line, text in found)
    assert any(line == 8 and "`creating:` is true or false" in text for line, text in found)


def test_a_file_without_cases_says_what_it_needs(root: Path) -> None:
    _, problems = load_cases(write(root, "mapping: greet\n"), root)
    assert len(problems) == 1 and "needs `cases:`" in problems[0].message


def test_expecting_an_output_and_an_error_at_once_is_a_problem(root: Path) -> None:
    text = "cases:\n  - input: {a: 1}\n    expect: {Name: a}\n    expect_error: required\n"
    _, problems = load_cases(write(root, text), root)
    assert any("not both" in p.message and p.line == 4 for p in problems)


def test_expect_skip_is_true_or_a_reason(root: Path) -> None:
    text = "cases:\n  - input: {a: 1}\n    expect_skip: true\n  - input: {a: 1}\n    expect_skip: cancelled\n"
    cases, problems = load_cases(write(root, text), root)
    assert problems == [] and cases is not None
    assert [c.expect_skip for c in cases.cases] == ["", "cancelled"]
