"""Test files of mappings: sample records and what each must map to, read with file and line for every problem.

    mappings/tests/account-to-customer.yaml
        mapping: mappings/account-to-customer.yaml    # optional: by default mappings/<this file's name>
        cases:
          - name: a new customer
            input: {name: Contoso, ...}
            context: {source_id: "a1"}
            creating: true
            expect: {CompanyName: Contoso, ...}        # the exact output (or expect_subset: only these fields)
          - name: an order
            input: {_customerid_value: a1, ...}
            twins: {customers: {a1: 17}}              # what twin('customers', ...) finds in the target
          - name: no country
            input: {...}
            expect_error: {BillingAddress.Country: required}   # or one substring of the whole failure

The format is described in docs/mapping.md, "Testing a mapping".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ferry.core.problems import Problem
from ferry.mapping.source import Document, YamlSyntaxError, parse_yaml

#: Where the test files of a project's mappings live, relative to the project directory.
TESTS_FOLDER = Path("mappings") / "tests"
_CASE_KEYS = {"name", "input", "context", "twins", "creating", "expect", "expect_subset", "expect_error", "expect_skip"}


@dataclass(frozen=True, slots=True)
class Case:
    """One sample record and what its mapping must make of it."""

    name: str
    input: dict[str, Any]
    file: str
    line: int | None
    context: dict[str, Any] = field(default_factory=dict)
    #: What `twin(sync, id)` gives: sync -> source id -> the twin's id, or a record of its fields (with `id`).
    twins: dict[str, dict[str, Any]] = field(default_factory=dict)
    creating: bool = False
    #: The exact output, or (with `subset`) the fields the output must hold with these values.
    expect: dict[str, Any] | None = None
    subset: bool = False
    #: A substring of the whole failure (key ""), or of the failure of each named target field.
    expect_error: dict[str, str] | None = None
    #: The mapping's `skip_when` must skip the record: "" for any reason, else a substring of the reason.
    expect_skip: str | None = None


@dataclass(frozen=True, slots=True)
class CaseFile:
    """A test file: the mapping it tests (a path inside the project) and its cases."""

    path: Path
    mapping: Path
    cases: list[Case]


def find_test_files(root: Path) -> list[Path]:
    """The test files of the project in `root`, in name order."""
    folder = root / TESTS_FOLDER
    return sorted(p for p in folder.glob("*.y*ml") if p.is_file()) if folder.is_dir() else []


def load_cases(path: Path, root: Path) -> tuple[CaseFile | None, list[Problem]]:
    """Read one test file; every problem (YAML, format, unknown mapping) comes back with its line."""
    shown = _shown(path, root)
    try:
        doc = parse_yaml(path.read_text(encoding="utf-8"), shown)
    except YamlSyntaxError as exc:
        return None, [exc.problem]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(f"cannot read the test file: {exc}", file=shown)]
    data = doc.data
    if isinstance(data, list):
        data = {"cases": data}
        doc.data = data
    if not isinstance(data, dict):
        return None, [Problem("a test file holds `cases:`, a list of cases", file=shown, line=1, hint=_HINT)]
    problems: list[Problem] = []
    mapping = _mapping_path(doc, path, root, problems)
    raw_cases = data.get("cases")
    if not isinstance(raw_cases, list) or not raw_cases:
        problems.append(doc.problem(("cases",), "a test file needs `cases:`, a non-empty list of cases", _HINT))
        return None, problems
    for key in data:
        if key not in ("mapping", "cases"):
            problems.append(doc.problem((key,), f"unknown key {key!r}", "a test file holds `mapping:` and `cases:`"))
    cases = [c for index, raw in enumerate(raw_cases) if (c := _case(doc, index, raw, problems)) is not None]
    if problems or mapping is None:
        return None, problems
    return CaseFile(path, mapping, cases), []


_HINT = "see docs/mapping.md, 'Testing a mapping'"


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _mapping_path(doc: Document, path: Path, root: Path, problems: list[Problem]) -> Path | None:
    named = doc.data.get("mapping")
    if named is None:
        relative = Path("mappings") / f"{path.stem}.yaml"
    elif isinstance(named, str) and named.strip():
        relative = Path(named if named.endswith((".yaml", ".yml")) else f"mappings/{named}.yaml")
    else:
        problems.append(doc.problem(("mapping",), "`mapping:` is the path of a mapping file", _HINT))
        return None
    if not (root / relative).is_file():
        known = ", ".join(sorted(p.stem for p in (root / "mappings").glob("*.yaml"))) or "none"
        loc = ("mapping",) if named is not None else ()
        message = f"unknown mapping: {relative.as_posix()} is not a file of the project"
        hint = f"name the test file after its mapping, or set `mapping:`; the project's mappings: {known}"
        problem = doc.problem(loc, message, hint)
        problems.append(problem if problem.line is not None else Problem(message, doc.file, 1, hint=hint))
        return None
    return relative


def _case(doc: Document, index: int, raw: Any, problems: list[Problem]) -> Case | None:
    loc = ("cases", index)
    place = doc.where(loc) or doc.where(("cases",))
    line = place.line if place else None
    if not isinstance(raw, dict):
        problems.append(doc.problem(loc, f"case {index + 1} is not a mapping of keys", _HINT))
        return None
    before = len(problems)
    name = raw.get("name", f"case {index + 1}")
    if not isinstance(name, str):
        problems.append(doc.problem((*loc, "name"), "`name:` is text"))
    for key in raw:
        if key not in _CASE_KEYS:
            known = ", ".join(sorted(_CASE_KEYS))
            problems.append(doc.problem((*loc, key), f"unknown key {key!r}", f"a case holds: {known}"))
    record = raw.get("input")
    if not isinstance(record, dict):
        found = "has no `input:`" if record is None else "has an `input:` that is not a record"
        problems.append(doc.problem(loc, f"case {name!r} {found}", "give the sample source record under `input:`"))
    twins = raw.get("twins", {})
    if not (isinstance(twins, dict) and all(isinstance(v, dict) for v in twins.values())):
        message = "`twins:` maps each sync to source ids and their twins' ids, e.g. {customers: {a1: 17}}"
        problems.append(doc.problem((*loc, "twins"), message))
    for key in ("context", "expect", "expect_subset"):
        if key in raw and not isinstance(raw[key], dict):
            problems.append(doc.problem((*loc, key), f"`{key}:` is a mapping of field names to values"))
    if not isinstance(raw.get("creating", False), bool):
        problems.append(doc.problem((*loc, "creating"), "`creating:` is true or false"))
    error = raw.get("expect_error")
    if isinstance(error, str):
        error = {"": error}
    elif error is not None and not (
        isinstance(error, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in error.items())
    ):
        message = "`expect_error:` is a substring of the failure, or target field paths to substrings"
        problems.append(doc.problem((*loc, "expect_error"), message))
    expected = [key for key in ("expect", "expect_subset", "expect_error", "expect_skip") if key in raw]
    if len(expected) > 1:
        message = f"a case expects one outcome: give one of {', '.join(expected)}, not both"
        problems.append(doc.problem((*loc, expected[-1]), message))
    skip = raw.get("expect_skip")
    if skip is not None and not isinstance(skip, (bool, str)):
        problems.append(doc.problem((*loc, "expect_skip"), "`expect_skip:` is true, or a substring of the reason"))
    if len(problems) > before:
        return None
    subset = "expect_subset" in raw
    return Case(
        name=str(name),
        input=record if isinstance(record, dict) else {},
        file=doc.file,
        line=line,
        context=dict(raw.get("context") or {}),
        twins={str(sync): {str(k): v for k, v in ids.items()} for sync, ids in twins.items()},
        creating=bool(raw.get("creating", False)),
        expect=raw.get("expect_subset") if subset else raw.get("expect"),
        subset=subset,
        expect_error=error,
        expect_skip=None if skip in (None, False) else "" if skip is True else str(skip),
    )
