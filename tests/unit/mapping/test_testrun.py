"""Running a mapping over its cases: what passes, and each difference by target field path."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ferry.mapping import compile_mapping
from ferry.mapping.cases import Case
from ferry.mapping.testrun import run_case

MAPPING = compile_mapping(
    """
version: 1
name: order
fields:
  Name: {value: trim(name), if_null: fail}
  Total: round(total, 2)
  Active: statecode == 0
  Customer: twin('customers', customerid)
  Source: {value: context.source_id, if_null: omit}
  Created: {const: yes, create_only: true}
lists:
  Lines:
    from: lines
    fields:
      No: context.position
      Qty: {value: integer(qty), if_null: fail}
""",
    name="order",
)


def case(**fields: Any) -> Case:
    return Case(**{"name": "c", "file": "mappings/tests/order.yaml", "line": 1, **fields})


RECORD = {"name": " A ", "total": Decimal("10.005"), "statecode": 0, "customerid": "c1", "lines": [{"qty": 2}]}
OUTPUT = {"Name": "A", "Total": Decimal("10.01"), "Active": True, "Customer": None, "Lines": [{"No": 1, "Qty": 2}]}


def test_the_exact_output_passes() -> None:
    outcome = run_case(MAPPING, case(input=RECORD, expect=OUTPUT))
    assert outcome.passed and outcome.differences == [] and outcome.output == OUTPUT


def test_each_difference_names_the_target_field() -> None:
    wrong = {**OUTPUT, "Total": Decimal("10.00"), "Lines": [{"No": 1, "Qty": 3}]}
    del wrong["Active"]
    outcome = run_case(MAPPING, case(input=RECORD, expect={**wrong, "Extra": 1}))
    assert not outcome.passed
    assert outcome.differences == [
        "Total: expected 10.00, got 10.01",
        "Lines[1].Qty: expected 3, got 2",
        "Extra: expected 1, but the output has no such field",
        "Active: not expected, got True",
    ]


def test_a_subset_checks_only_the_fields_it_names_and_a_bool_is_not_a_number() -> None:
    assert run_case(MAPPING, case(input=RECORD, expect={"Name": "A"}, subset=True)).passed
    outcome = run_case(MAPPING, case(input=RECORD, expect={"Active": 1}, subset=True))
    assert outcome.differences == ["Active: expected 1, got True"]


def test_context_twins_and_creating_reach_the_mapping() -> None:
    given = case(input=RECORD, context={"source_id": "s1"}, twins={"customers": {"c1": 17}}, creating=True)
    outcome = run_case(MAPPING, given)
    assert outcome.output is not None
    assert (outcome.output["Source"], outcome.output["Customer"], outcome.output["Created"]) == ("s1", 17, "yes")


def test_an_expected_failure_of_a_field_passes_and_a_missing_one_does_not() -> None:
    broken = {**RECORD, "name": None, "lines": [{"qty": None}]}
    outcome = run_case(MAPPING, case(input=broken, expect_error={"Name": "REQUIRED", "Lines[1].Qty": "required"}))
    assert outcome.passed, outcome.differences
    assert set(outcome.failure) == {"Name", "Lines[1].Qty"}
    outcome = run_case(MAPPING, case(input=RECORD, expect_error={"Name": "required"}))
    assert outcome.differences == ["expected the mapping to fail, but it mapped the record"]


def test_a_failure_not_expected_is_shown_with_its_field_and_reason() -> None:
    outcome = run_case(MAPPING, case(input={**RECORD, "name": None}, expect=OUTPUT))
    assert not outcome.passed
    assert outcome.differences[0].startswith("Name: expected no failure, got: is required")
    assert outcome.output is not None and outcome.output["Total"] == Decimal("10.01")  # what could be mapped


def test_a_failure_with_other_wording_than_expected_shows_both() -> None:
    outcome = run_case(MAPPING, case(input={**RECORD, "name": None}, expect_error={"": "unknown unit"}))
    assert len(outcome.differences) == 1
    assert "expected a failure holding 'unknown unit', got: Name: is required" in outcome.differences[0]


SKIPPING = compile_mapping(
    "version: 1\nname: s\nskip_when: statecode == 2\nskip_reason: \"'cancelled'\"\nfields:\n  N: name\n", name="s"
)


def test_a_skipped_record_passes_only_when_the_case_expects_the_skip() -> None:
    outcome = run_case(SKIPPING, case(input={"statecode": 2}, expect_skip="CANCEL"))
    assert outcome.passed and outcome.skipped == "cancelled" and outcome.output is None
    assert run_case(SKIPPING, case(input={"statecode": 2}, expect={"N": None})).differences == [
        "the mapping skips this record: cancelled"
    ]
    assert run_case(SKIPPING, case(input={"statecode": 2}, expect_skip="late")).differences == [
        "expected a skip for a reason holding 'late', got: cancelled"
    ]
    assert run_case(SKIPPING, case(input={"statecode": 0}, expect_skip="")).differences == [
        "expected the mapping to skip the record (skip_when), but it did not"
    ]
