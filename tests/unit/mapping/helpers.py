"""Evaluating one expression the way a mapping does, for the function and operator tests."""

from __future__ import annotations

from typing import Any

import pytest

from ferry.core.errors import ValidationError
from ferry.core.problems import Problem, ProblemsError
from ferry.mapping import compile_mapping


def evaluate(
    expression: str,
    record: dict[str, Any] | None = None,
    *,
    context: dict[str, Any] | None = None,
    lookups: dict[str, Any] | None = None,
) -> Any:
    """The value of `expression` for `record`, through a one-field mapping."""
    mapping = compile_mapping({"version": 1, "lookups": lookups or {}, "fields": {"out": expression}})
    return mapping.apply(record or {}, context=context)["out"]


def failure(expression: str, record: dict[str, Any] | None = None, **kwargs: Any) -> str:
    """The reason `expression` fails for `record` (the test fails if it does not)."""
    with pytest.raises(ValidationError) as caught:
        evaluate(expression, record, **kwargs)
    return caught.value.field_errors["out"]


def problems(expression: str, **kwargs: Any) -> list[Problem]:
    """The problems reported when a mapping with this one expression is compiled."""
    with pytest.raises(ProblemsError) as caught:
        compile_mapping({"version": 1, "fields": {"out": expression}}, **kwargs)
    return caught.value.problems
