"""Line operations: group_lines, split_lines, filter_items, alone and as the `from:` of a target list."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ferry.mapping import compile_mapping
from tests.unit.mapping.helpers import evaluate, failure, problems

D = Decimal
ORDER: dict[str, Any] = {
    "currency": "EUR",
    "lines": [
        {"id": 1, "sku": "A", "unit": "EA", "quantity": 2, "amount": D("25.00"), "product": {"sku": "A"}},
        {"id": 2, "sku": "B", "unit": "EA", "quantity": 1, "amount": D("80.00"), "product": {"sku": "B"}},
        {"id": 3, "sku": "A", "unit": "BOX", "quantity": 3, "amount": D("37.50"), "product": {"sku": "A"}},
        {"id": 4, "sku": "A", "unit": "EA", "quantity": D("0.5"), "amount": None, "product": {"sku": "A"}},
    ],
}


def test_group_lines_sums_the_named_fields_and_keeps_the_first_item_s_others() -> None:
    grouped = evaluate("group_lines(lines, 'sku', 'quantity', 'amount')", ORDER)
    assert [(g["id"], g["sku"], g["quantity"], g["amount"]) for g in grouped] == [
        (1, "A", D("5.5"), D("62.50")),
        (2, "B", 1, D("80.00")),
    ]
    assert ORDER["lines"][0]["quantity"] == 2  # the source is not changed


def test_group_lines_by_a_nested_path_or_an_expression() -> None:
    assert len(evaluate("group_lines(lines, 'product.sku', 'quantity')", ORDER)) == 2
    grouped = evaluate("group_lines(lines, concat(sku, '|', unit), 'quantity')", ORDER)
    assert [(g["sku"], g["unit"], g["quantity"]) for g in grouped] == [
        ("A", "EA", D("2.5")),
        ("B", "EA", 1),
        ("A", "BOX", 3),
    ]


def test_group_lines_can_sum_a_nested_field_without_changing_the_source() -> None:
    record = {"lines": [{"k": 1, "t": {"net": D("1.00")}}, {"k": 1, "t": {"net": D("2.00")}}]}
    assert evaluate("group_lines(lines, 'k', 't.net')", record) == [{"k": 1, "t": {"net": D("3.00")}}]
    assert record["lines"][0]["t"]["net"] == D("1.00")


def test_group_lines_failures() -> None:
    assert failure("group_lines(lines, 'sku', 'sku')", ORDER) == (
        "item 1: sku: group_lines() expects a number, got text 'A'"
    )
    bad = {"lines": [{"k": 1, "q": 0.5}]}
    assert "binary float" in failure("group_lines(lines, 'k', 'q')", bad)
    assert "the key is list" in failure("group_lines(lines, 'k', 'q')", {"lines": [{"k": [1], "q": 1}]})
    (problem,) = problems("group_lines(lines, 'sku', quantity)")
    assert "each summed value is a field of the items in quotes" in problem.message
    assert evaluate("group_lines(lines, 'sku', 'quantity')") is None


def test_split_lines_splits_quantities_above_the_maximum_and_amounts_to_the_cent() -> None:
    record = {"lines": [{"sku": "A", "quantity": 250, "amount": D("100.00")}, {"sku": "B", "quantity": 3}]}
    parts = evaluate("split_lines(lines, 'quantity', 100, 'amount')", record)
    assert parts == [
        {"sku": "A", "quantity": 100, "amount": D("40.00")},
        {"sku": "A", "quantity": 100, "amount": D("40.00")},
        {"sku": "A", "quantity": 50, "amount": D("20.00")},
        {"sku": "B", "quantity": 3},
    ]
    odd = {"lines": [{"quantity": 3, "amount": D("100.00")}]}
    assert [p["amount"] for p in evaluate("split_lines(lines, 'quantity', 1, 'amount')", odd)] == [
        D("33.34"),
        D("33.33"),
        D("33.33"),
    ]
    kilos = {"lines": [{"quantity": D("2.5"), "amount": 7}]}
    assert evaluate("split_lines(lines, 'quantity', 1, 'amount')", kilos) == [
        {"quantity": 1, "amount": 3},
        {"quantity": 1, "amount": 3},
        {"quantity": D("0.5"), "amount": 1},
    ]


def test_split_lines_failures() -> None:
    (problem,) = problems("split_lines(lines, 'quantity', 0)")
    assert "max must be a number more than 0" in problem.message
    (problem,) = problems("split_lines(lines, quantity, 10)")
    assert "the quantity is a field of the items in quotes" in problem.message
    assert "max must be more than 0" in failure("split_lines(lines, 'quantity', m)", {"lines": [], "m": -1})
    assert "item 1: split_lines() expects a number" in failure(
        "split_lines(lines, 'quantity', 10)", {"lines": [{"quantity": "12"}]}
    )


def test_filter_items_keeps_the_items_for_which_the_condition_holds() -> None:
    kept = evaluate("filter_items(lines, unit == 'EA' and amount != null)", ORDER)
    assert [k["id"] for k in kept] == [1, 2]
    assert [k["id"] for k in evaluate("filter_items(lines, context.position > 2)", ORDER)] == [3, 4]
    currency = {**ORDER, "lines": [*ORDER["lines"], {"id": 5, "currency": "USD"}]}
    assert [k["id"] for k in evaluate("filter_items(lines, currency == context.parent.currency)", currency)] == []
    assert evaluate("filter_items(lines, 'amount')", ORDER)[-1]["id"] == 3  # a quoted path: the field's truth


def test_line_operations_compose_as_the_source_of_a_target_list() -> None:
    mapping = compile_mapping(
        {
            "version": 1,
            "fields": {"Total": "sum(group_lines(filter_items(lines, quantity > 0), 'sku', 'amount'), 'amount')"},
            "lists": {
                "Lines": {
                    "from": "split_lines(group_lines(filter_items(lines, amount != null), 'sku', 'quantity', "
                    "'amount'), 'quantity', 4, 'amount')",
                    "fields": {
                        "LineNo": "context.position",
                        "SKU": "sku",
                        "Quantity": "quantity",
                        "Amount": "amount",
                        "Currency": "context.parent.currency",
                    },
                }
            },
        }
    )
    payload = mapping.apply(ORDER)
    assert payload["Total"] == D("142.50")
    assert payload["Lines"] == [
        {"LineNo": 1, "SKU": "A", "Quantity": 4, "Amount": D("50.00"), "Currency": "EUR"},
        {"LineNo": 2, "SKU": "A", "Quantity": 1, "Amount": D("12.50"), "Currency": "EUR"},
        {"LineNo": 3, "SKU": "B", "Quantity": 1, "Amount": D("80.00"), "Currency": "EUR"},
    ]
    # The items' fields are read under the source list, through the line operations.
    assert {"lines", "lines.sku", "lines.quantity", "lines.amount", "currency"} <= mapping.fields_read
