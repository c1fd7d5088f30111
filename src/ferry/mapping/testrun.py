"""Running a mapping over the cases of its test file: per case the input, the output or the failure, and
whether it is what the case expects (with each difference, by target field path)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ferry.core.errors import ValidationError
from ferry.mapping.cases import Case, CaseFile
from ferry.mapping.library.twin import TWINS
from ferry.mapping.mapping import Mapping


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a mapping made of one case's input, and what is not as the case expects."""

    case: Case
    mapping: str
    output: dict[str, Any] | None
    #: The failure as `apply` reported it: target field path to reason ("" for a failure of the whole record).
    failure: dict[str, str] = field(default_factory=dict)
    #: Each way the result differs from the expectation, e.g. "CompanyName: expected 'A', got 'B'".
    differences: list[str] = field(default_factory=list)
    #: Why the mapping's `skip_when` skipped the record (no output then), or None.
    skipped: str | None = None

    @property
    def passed(self) -> bool:
        return not self.differences


def run_case(mapping: Mapping, case: Case) -> Outcome:
    """Map `case.input` and compare the result with what the case expects."""
    context = {**case.context, TWINS: _twins(case.twins)} if case.twins else case.context
    try:
        skipped = mapping.skips(case.input, context=context)
    except ValidationError as exc:  # skip_when itself failed: the engine dead-letters the record so
        return Outcome(case, mapping.name, None, {"": exc.message}, _differences(case, None, {"": exc.message}))
    if skipped:
        reason = mapping.skip_reason(case.input, context=context)
        return Outcome(case, mapping.name, None, {}, _skip_differences(case.expect_skip, reason), reason)
    output, failure = try_apply(mapping, case.input, context, creating=case.creating)
    found = _differences(case, output, failure)
    if case.expect_skip is not None:
        found = ["expected the mapping to skip the record (skip_when), but it did not"]
    return Outcome(case, mapping.name, output, failure, found)


def _skip_differences(expected: str | None, reason: str) -> list[str]:
    if expected is None:
        return [f"the mapping skips this record: {reason}"]
    if expected.lower() not in reason.lower():
        return [f"expected a skip for a reason holding {expected!r}, got: {reason}"]
    return []


def try_apply(
    mapping: Mapping, record: dict[str, Any], context: dict[str, Any], *, creating: bool
) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """(output, {}) when `record` maps; else (what could be mapped, target field path -> reason), "" naming
    a failure of the whole record."""
    try:
        return mapping.apply(record, context=context, creating=creating), {}
    except ValidationError as exc:
        return exc.context.get("mapped"), dict(exc.field_errors or {"": exc.message})


def _twins(known: dict[str, dict[str, Any]]) -> Callable[..., Any]:
    def resolve(sync: str, key: str, field: str | None = None) -> Any:
        twin = known.get(sync, {}).get(key)
        if isinstance(twin, dict):
            return twin.get("id" if field is None else field)
        return twin if field is None else None

    return resolve


def run_file(mapping: Mapping, cases: CaseFile) -> list[Outcome]:
    """Every case of a test file, in file order."""
    return [run_case(mapping, case) for case in cases.cases]


def _differences(case: Case, output: dict[str, Any] | None, failure: dict[str, str]) -> list[str]:
    if case.expect_skip is not None:
        return []  # the caller says the record was not skipped
    if case.expect_error is not None:
        return _error_differences(case.expect_error, failure)
    if failure:
        return [f"{path or 'the record'}: expected no failure, got: {reason}" for path, reason in failure.items()]
    if case.expect is None:
        return []
    found: list[str] = []
    _compare(case.expect, output or {}, "", case.subset, found)
    return found


def _error_differences(expected: dict[str, str], failure: dict[str, str]) -> list[str]:
    if not failure:
        return ["expected the mapping to fail, but it mapped the record"]
    found = []
    whole = "; ".join(f"{path}: {reason}" if path else reason for path, reason in failure.items())
    for path, text in expected.items():
        if not path:
            if text.lower() not in whole.lower():
                found.append(f"expected a failure holding {text!r}, got: {whole}")
        elif path not in failure:
            found.append(f"{path}: expected a failure of this field, got failures of: {', '.join(failure) or 'none'}")
        elif text.lower() not in failure[path].lower():
            found.append(f"{path}: expected a failure holding {text!r}, got: {failure[path]}")
    return found


def _compare(expected: Any, actual: Any, path: str, subset: bool, found: list[str]) -> None:
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key, value in expected.items():
            where = f"{path}.{key}" if path else str(key)
            if key not in actual:
                found.append(f"{where}: expected {_show(value)}, but the output has no such field")
            else:
                _compare(value, actual[key], where, subset, found)
        if not subset:
            for key in actual:
                if key not in expected:
                    where = f"{path}.{key}" if path else str(key)
                    found.append(f"{where}: not expected, got {_show(actual[key])}")
        return
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for position, (want, got) in enumerate(zip(expected, actual, strict=True), start=1):
            _compare(want, got, f"{path}[{position}]", subset, found)
        return
    if not _same(expected, actual):
        found.append(f"{path or 'the output'}: expected {_show(expected)}, got {_show(actual)}")


def _same(expected: Any, actual: Any) -> bool:
    # YAML reads `true` as a bool and `1` as a number: neither equals the other here, unlike in Python.
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    return bool(expected == actual)


def _show(value: Any) -> str:
    return "null" if value is None else repr(value) if isinstance(value, str) else str(value)


def shown_path(path: Path, root: Path) -> str:
    """`path` relative to the project, as people read it in messages."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)
