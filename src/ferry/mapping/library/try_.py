"""Recovering from a value that cannot be mapped: try."""

from __future__ import annotations

from typing import Any

from ferry.mapping.registry import CallSite, Evaluator, Example, special_form
from ferry.mapping.values import ApplyError


@special_form(
    "try",
    category="null handling",
    signature="try(value, fallback)",
    min_args=2,
    max_args=2,
    example=Example("try(integer(employees), null)", None, {"employees": "about forty"}),
)
def try_(site: CallSite) -> Evaluator:
    """`value`, or `fallback` when `value` fails for this record (a text that is not a number, an unknown
    country, ...). Without `try` such a failure sends the record to the dead-letter queue."""
    value, fallback = site.args

    def evaluate(record: dict[str, Any], context: dict[str, Any]) -> Any:
        try:
            return value(record, context)
        except ApplyError:
            return fallback(record, context)

    return evaluate
