"""Aggregates and calculated amounts: sum, count, min, max, map_items, tax, allocate."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ferry.mapping import compile_mapping
from tests.unit.mapping.helpers import evaluate, failure, problems

D = Decimal
LINES = [
    {"sku": "A", "quantity": 2, "price": D("12.50"), "product": {"weight": D("1.5")}},
    {"sku": "B", "quantity": 1, "price": D("80.00"), "product": {"weight": None}},
    {"sku": "C", "quantity": 4, "price": D("0.99"), "product": {"weight": D("0.25")}},
]
ORDER = {"lines": LINES, "discount": D("0.10")}


def test_sum_over_a_path_an_expression_or_plain_numbers() -> None:
    assert evaluate("sum(lines, 'quantity')", ORDER) == 7
    assert evaluate("sum(lines, 'product.weight')", ORDER) == D("1.75")  # the null weight is left out
    assert evaluate("sum(lines, quantity * price)", ORDER) == D("108.96")
    assert evaluate("sum(lines, quantity * price * (1 - context.parent.discount))", ORDER) == D("98.0640")
    assert evaluate("sum(amounts)", {"amounts": [D("0.10"), D("0.20"), None, 3]}) == D("3.30")
    assert evaluate("sum(amounts)", {"amounts": []}) == 0
    assert evaluate("sum(amounts)") is None


def test_sum_is_exact_and_refuses_floats_and_text() -> None:
    assert evaluate("sum(a)", {"a": [D("0.1")] * 10}) == D("1.0")
    assert "item 2: sum() got the binary float 0.2" in failure("sum(a)", {"a": [D("0.1"), 0.2]})
    assert failure("sum(lines, 'sku')", ORDER) == "item 1: sum() expects a number, got text 'A'"
    assert failure("sum(a)", {"a": "12"}) == "sum() expects a list, got text '12'"
    assert failure("sum(a, 'x')", {"a": [1]}) == "sum(): item 1 of the list is number, not an object"


def test_per_item_errors_name_the_item() -> None:
    assert failure("sum(lines, quantity / (quantity - 1))", ORDER) == "sum(): item 2: cannot divide 1 by zero"


def test_count_min_max_and_map_items() -> None:
    assert evaluate("count(lines)", ORDER) == 3
    assert evaluate("count(lines, price > 10)", ORDER) == 2
    assert evaluate("min(lines, 'price')", ORDER) == D("0.99")
    assert evaluate("max(lines, quantity * price)", ORDER) == D("80.00")
    assert evaluate("min(d)", {"d": [dt.date(2026, 12, 1), None, dt.date(2026, 11, 2)]}) == dt.date(2026, 11, 2)
    assert evaluate("max(a)", {"a": []}) is None
    assert evaluate("map_items(lines, 'sku')", ORDER) == ["A", "B", "C"]
    assert evaluate("map_items(lines, context.position)", ORDER) == [1, 2, 3]
    assert "binary float" in failure("max(a)", {"a": [1, 2.5]})
    assert failure("min(a)", {"a": [1, "x"]}).startswith("cannot compare")


def test_a_per_item_path_must_be_a_path() -> None:
    (problem,) = problems("sum(lines, 'a..b')")
    assert "empty part in the path 'a..b'" in problem.message


def test_the_fields_a_per_item_expression_reads_count_as_read_under_the_list() -> None:
    mapping = compile_mapping(
        {"version": 1, "fields": {"t": "sum(order.lines, quantity * product.price + context.parent.fee)"}}
    )
    assert mapping.fields_read == {"order.lines", "order.lines.quantity", "order.lines.product.price", "fee"}
    # Item fields are not taken for fields of the record.
    assert compile_mapping({"version": 1, "fields": {"t": "sum(lines, qty)"}}, source_fields=["lines"])
    assert [p.message for p in problems("sum(lnes, qty)", source_fields=["lines"])] == [
        "fields.out: unknown source field 'lnes'",
        "fields.out: unknown source field 'lnes.qty'",
    ]


def test_tax_is_rounded_half_up_to_two_places() -> None:
    assert evaluate("tax(a, 0.20)", {"a": D("123.45")}) == D("24.69")
    assert evaluate("tax(a, 0.19)", {"a": D("0.50")}) == D("0.10")  # 0.095 -> 0.10
    assert evaluate("tax(a, 0.075, 3)", {"a": D("10")}) == D("0.750")
    assert evaluate("tax(a, r)", {"a": D("10")}) is None
    assert "binary float" in failure("tax(a, 0.2)", {"a": 10.0})
    (problem,) = problems("tax(a, 20)")
    assert "tax() rate 20 is more than 100%" in problem.message and problem.hint == "write 0.2 for 20%"


@pytest.mark.parametrize(
    ("total", "weights", "parts"),
    [
        ("100.00", [1, 1, 1], ["33.34", "33.33", "33.33"]),
        ("100.00", ["10.00", "10.00", "10.00"], ["33.34", "33.33", "33.33"]),
        ("-100.00", [1, 1, 1], ["-33.34", "-33.33", "-33.33"]),
        ("10.00", [2, 1], ["6.67", "3.33"]),
        ("0.05", [1, 1, 1, 1, 1, 1], ["0.01", "0.01", "0.01", "0.01", "0.01", "0.00"]),
        ("1.00", [0, 3, 0], ["0.00", "1.00", "0.00"]),
        ("99.99", ["12.35", "40.00", "7.65", "0.01"], ["20.58", "66.65", "12.74", "0.02"]),
    ],
)
def test_allocate_parts_add_up_to_the_total_to_the_cent(total: str, weights: list[object], parts: list[str]) -> None:
    ws = [D(w) if isinstance(w, str) else w for w in weights]
    result = evaluate("allocate(total, weights)", {"total": D(total), "weights": ws})
    assert result == [D(p) for p in parts]
    assert sum(result) == D(total)
    assert all(r.as_tuple().exponent == -2 for r in result)


def test_allocate_with_places_and_failures() -> None:
    assert evaluate("allocate(t, w, 0)", {"t": 100, "w": [1, 1, 1]}) == [D(34), D(33), D(33)]
    assert evaluate("allocate(t, w)", {"t": None, "w": [1]}) is None
    assert "round it first" in failure("allocate(t, w)", {"t": D("1.005"), "w": [1]})
    assert "add up to 0" in failure("allocate(t, w)", {"t": D("1"), "w": [0, 0]})
    assert "must not be negative" in failure("allocate(t, w)", {"t": D("1"), "w": [2, -1]})
    assert "binary float" in failure("allocate(t, w)", {"t": 1.0, "w": [1]})
    assert "item 2: allocate() expects a number, got null" in failure("allocate(t, w)", {"t": 1, "w": [1, None]})


def test_allocate_to_the_lines_of_a_list() -> None:
    mapping = compile_mapping(
        {
            "version": 1,
            "fields": {"Freight": "freight"},
            "lists": {
                "Lines": {
                    "from": "lines",
                    "fields": {
                        "SKU": "sku",
                        "Freight": "allocate(context.parent.freight, map_items(context.parent.lines, "
                        "quantity * price))[context.position - 1]",
                    },
                }
            },
        }
    )
    payload = mapping.apply({**ORDER, "freight": D("10.00")})
    assert [line["Freight"] for line in payload["Lines"]] == [D("2.30"), D("7.34"), D("0.36")]
    assert sum(line["Freight"] for line in payload["Lines"]) == D("10.00")
