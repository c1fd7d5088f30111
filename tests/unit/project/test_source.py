from __future__ import annotations

from pathlib import Path

import pytest

from ferry.project.source import YamlSyntaxError, read_yaml


def test_positions_of_keys_and_list_items_are_one_based(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("a:\n  b: 1\n  c:\n    - x\n    - {d: 2}\n")
    src = read_yaml(path)
    assert src.data == {"a": {"b": 1, "c": ["x", {"d": 2}]}}
    assert src.positions[("a", "b")] == (2, 3)
    assert src.positions[("a", "c", 1)] == (5, 7)
    assert src.where(("a", "c", 1, "d", "missing")) == src.positions[("a", "c", 1, "d")]


def test_values_are_plain_python_types(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("n: 0x10\nf: 1.5\nb: yes\nt: true\ns: text\n")
    data = read_yaml(path).data
    assert [type(data[k]) for k in "nfbts"] == [int, float, str, bool, str]


def test_syntax_error_has_line_and_does_not_quote_the_file(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("a: 1\nsecret: hunter2-value: [\n")
    with pytest.raises(YamlSyntaxError) as caught:
        read_yaml(path)
    assert caught.value.problem.line == 2
    assert "hunter2" not in str(caught.value.problem)


def test_duplicate_keys_are_reported_with_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("a: 1\nb: 2\na: 3\n")
    with pytest.raises(YamlSyntaxError) as caught:
        read_yaml(path)
    assert caught.value.problem.line == 3
    assert caught.value.problem.hint is not None and "once" in caught.value.problem.hint
