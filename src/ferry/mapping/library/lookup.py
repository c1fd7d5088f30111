"""Lookup tables: lookup."""

from __future__ import annotations

from typing import Any

from ferry.mapping.nodes import Literal
from ferry.mapping.registry import CallSite, Evaluator, Example, special_form


@special_form(
    "lookup",
    category="lookup",
    signature="lookup('table', key)",
    min_args=2,
    max_args=2,
    example=Example(
        "lookup('payment_terms', paymenttermscode)",
        "NET60",
        {"paymenttermscode": 4},
        {"payment_terms": {"values": {1: "NET30", 4: "NET60"}, "default": "NET30"}},
    ),
)
def lookup(site: CallSite) -> Evaluator:
    """The value that the mapping's lookup table `table` (declared under `lookups:`) gives for `key`.
    A key the table does not list gives the table's `default` (or fails the record if the table is
    `strict`); a null key gives null unless the table lists `null`. The table name must be written as
    text in the expression, so that it is checked when the mapping loads."""
    table_node, _ = site.nodes
    if not isinstance(table_node, Literal) or not isinstance(table_node.value, str):
        site.report("the first argument of lookup() must be a table name in quotes", table_node, "lookup('table', key)")
        return _null
    name = table_node.value
    if name not in site.lookups:
        known = ", ".join(sorted(site.lookups)) or "none"
        site.report(f"unknown lookup table {name!r}", table_node, f"declare it under `lookups:` (declared: {known})")
        return _null
    table, key = site.lookups[name], site.args[1]

    def evaluate(record: dict[str, Any], context: dict[str, Any]) -> Any:
        return table(key(record, context))

    return evaluate


def _null(record: dict[str, Any], context: dict[str, Any]) -> None:
    return None
