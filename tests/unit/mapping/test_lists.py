"""Target lists built item by item from a source list (`lists:` in a mapping)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ferry.core.errors import ValidationError
from ferry.core.problems import ProblemsError
from ferry.mapping import compile_mapping

ORDER = """
version: 1
name: order-to-sales-order
lists:
  Lines:
    from: order_lines
    fields:
      LineNo: context.position
      SKU: {value: upper(sku), if_null: fail}
      Quantity: quantity
      UnitPrice: string(round(price, 2))
      Currency: context.parent.currency
fields:
  OrderNumber: number
"""

RECORD = {
    "number": "SO-1001",
    "currency": "USD",
    "order_lines": [
        {"sku": "arg-80", "quantity": 2, "price": Decimal("212.5")},
        {"sku": "wire-035", "quantity": 10, "price": Decimal("39.999")},
    ],
}


def test_each_source_item_becomes_a_target_item_with_its_position_and_the_parents_fields() -> None:
    mapping = compile_mapping(ORDER)
    assert mapping.apply(RECORD) == {
        "OrderNumber": "SO-1001",
        "Lines": [
            {"LineNo": 1, "SKU": "ARG-80", "Quantity": 2, "UnitPrice": "212.50", "Currency": "USD"},
            {"LineNo": 2, "SKU": "WIRE-035", "Quantity": 10, "UnitPrice": "40.00", "Currency": "USD"},
        ],
    }


def test_the_fields_read_name_the_items_fields_under_their_list_and_the_parents_own() -> None:
    mapping = compile_mapping(ORDER)
    assert {"order_lines.sku", "order_lines.quantity", "order_lines.price", "currency", "number"} <= set(
        mapping.fields_read
    )
    assert "sku" not in mapping.fields_read
    assert {"Lines.SKU", "OrderNumber"} <= set(mapping.fields_written)


def test_a_failing_item_names_its_place_and_no_list_writes_nothing() -> None:
    mapping = compile_mapping(ORDER)
    with pytest.raises(ValidationError) as raised:
        mapping.apply({**RECORD, "order_lines": [{"sku": "ok"}, {"quantity": 1}]})
    assert list(raised.value.field_errors) == ["Lines[2].SKU"]
    assert "is required" in raised.value.field_errors["Lines[2].SKU"]
    assert mapping.apply({"number": "SO-2"}) == {"OrderNumber": "SO-2"}
    with pytest.raises(ValidationError, match="not a list"):
        mapping.apply({"number": "SO-3", "order_lines": "three lines"})


def test_a_list_item_field_with_an_unknown_function_is_reported_where_it_is_written() -> None:
    with pytest.raises(ProblemsError) as raised:
        compile_mapping(ORDER.replace("upper(sku)", "uppercase(sku)"))
    [problem] = raised.value.problems
    assert "uppercase" in problem.message and problem.line == 9
