"""The benchmark's hand-written baselines give ferry's output exactly, so its ratios compare like with like."""

from __future__ import annotations

import pytest
from bench.handwritten.customer import customer
from bench.handwritten.sales_order import sales_order
from bench.mapping_speed import ERP_EXAMPLE, TEMPLATE, accounts, order

from ferry.mapping import load


@pytest.mark.parametrize("composite_only", [False, True])
@pytest.mark.parametrize("creating", [True, False])
def test_customer_by_hand_matches_the_template(composite_only: bool, creating: bool) -> None:
    mapping = load(TEMPLATE)
    for account in accounts(5, composite_only=composite_only):
        expected = mapping.apply(account, context={"source_id": account["accountid"]}, creating=creating)
        assert customer(account, account["accountid"], creating=creating) == expected
        assert ("Currency" in expected) == (creating and not composite_only)


def test_sales_order_by_hand_matches_the_example() -> None:
    mapping = load(ERP_EXAMPLE)
    for n in range(12):
        expected = mapping.apply(order(n))
        assert sales_order(order(n)) == expected
        assert expected["Lines"], "the example keeps its paid lines"
