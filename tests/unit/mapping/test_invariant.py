"""A call in a list's item fields that reads only `context.parent` is computed once per list, and gives
each item the value it would have given on its own."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from ferry.mapping import compile_mapping
from ferry.mapping.invariant import parent_only
from ferry.mapping.parser import parse
from ferry.mapping.registry import registry

ORDER: dict[str, Any] = {
    "freight": Decimal("10.00"),
    "lines": [{"sku": "A", "quantity": 1}, {"sku": "B", "quantity": 2}, {"sku": "A", "quantity": 3}],
}


def test_the_freight_of_each_line_is_its_own_part(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    info = registry()["group_lines"]
    assert info.compile is not None
    original = info.compile

    def counting(site: Any) -> Any:
        evaluate = original(site)

        def counted(record: dict[str, Any], context: dict[str, Any]) -> Any:
            calls.append(1)
            return evaluate(record, context)

        return counted

    monkeypatch.setitem(registry(), "group_lines", replace(info, compile=counting))
    mapping = compile_mapping(
        {
            "version": 1,
            "fields": {"Count": "count(lines)"},
            "lists": {
                "Lines": {
                    "from": "lines",
                    "fields": {
                        "Sku": "sku",
                        "Freight": "allocate(context.parent.freight, map_items(group_lines(context.parent.lines,"
                        " 'sku', 'quantity'), 'quantity'))[context.position - 1]",
                        "Own": "count(filter_items(context.parent.lines, quantity > 1))",
                    },
                }
            },
        }
    )
    out = mapping.apply(ORDER)["Lines"]
    assert [line["Freight"] for line in out] == [Decimal("6.67"), Decimal("3.33"), None]
    assert [line["Own"] for line in out] == [2, 2, 2]
    assert len(calls) == 1, "group_lines ran once for the list, not once per line"
    assert mapping.apply({**ORDER, "freight": Decimal("20.00")})["Lines"][1]["Freight"] == Decimal("6.67")


@pytest.mark.parametrize(
    ("expression", "invariant"),
    [
        ("sum(context.parent.lines, quantity)", True),
        ("round(context.parent.freight, 2)", True),
        ("round(freight, 2)", False),
        ("concat(context.parent.number, context.position)", False),
        ("sum(context.parent.lines, quantity * context.parent.rate)", False),
    ],
)
def test_what_counts_as_reading_only_the_parent(expression: str, invariant: bool) -> None:
    assert parent_only(parse(expression)) is invariant
