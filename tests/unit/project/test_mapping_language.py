"""`ferry validate` reports the mapping language's own problems, with their files and lines."""

from __future__ import annotations

import types
from collections.abc import Callable
from pathlib import Path

import pytest

from ferry.core.problems import Problem, ProblemsError
from ferry.project import checks, validate
from ferry.vault import Vault
from tests.unit.project.conftest import VALID, only


def fake_mapping_language(monkeypatch: pytest.MonkeyPatch, check: Callable[..., list[Problem]]) -> None:
    module = types.ModuleType("ferry.mapping")
    module.check = check  # type: ignore[attr-defined]
    monkeypatch.setitem(__import__("sys").modules, "ferry.mapping", module)
    monkeypatch.setattr("ferry.project.project.mapping_language_checker", checks.mapping_language_checker)


def test_problems_from_the_mapping_language_are_reported(
    monkeypatch: pytest.MonkeyPatch, make_project: Callable[[str], Path]
) -> None:
    seen: list[Path] = []

    def check(path: Path, *, source_fields: object = None) -> list[Problem]:
        seen.append(path)
        return [Problem("unknown function 'uper'", file=str(path), line=3, hint="did you mean 'upper'?")]

    fake_mapping_language(monkeypatch, check)
    root = make_project(VALID)
    Vault.open(root, {}, create_key=True).set("d365-secret", "s")
    problems = validate(root, {"TIMS_KEY": "k"}).problems
    assert sorted(p.name for p in seen) == ["l2r.yaml", "r2l.yaml"]
    assert [(p.file, p.line) for p in problems] == [
        (str(root / "mappings" / "l2r.yaml"), 3),
        (str(root / "mappings" / "r2l.yaml"), 3),
    ]


def test_a_mapping_checker_that_raises_problems_is_reported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def check(path: Path, *, source_fields: object = None) -> list[Problem]:
        raise ProblemsError([Problem("bad", file=str(path), line=1)])

    fake_mapping_language(monkeypatch, check)
    path = tmp_path / "m.yaml"
    path.write_text("a: 1\n")
    only(checks.check_mapping(path, checks.mapping_language_checker()), "bad")


def test_without_a_check_function_mapping_files_are_checked_as_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(__import__("sys").modules, "ferry.mapping", types.ModuleType("ferry.mapping"))
    assert checks.mapping_language_checker() is None


def test_with_the_real_mapping_language_a_broken_mapping_is_reported_in_its_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    if checks.mapping_language_checker() is None:
        pytest.skip("the mapping language is not installed here")
    monkeypatch.setattr("ferry.project.project.mapping_language_checker", checks.mapping_language_checker)
    (tmp_path / "ferry.yaml").write_text(VALID)
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "l2r.yaml").write_text("fields: [\n")
    (tmp_path / "mappings" / "r2l.yaml").write_text("version: 1\nfields:\n  Name: nosuchfunction(name)\n")
    Vault.open(tmp_path, {}, create_key=True).set("d365-secret", "s")
    problems = validate(tmp_path, {"TIMS_KEY": "k"}).problems
    files = {p.file for p in problems}
    assert files == {str(tmp_path / "mappings" / "l2r.yaml"), str(tmp_path / "mappings" / "r2l.yaml")}
    assert all(p.line is not None for p in problems)
