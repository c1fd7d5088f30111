from decimal import Decimal

from tests.unit.mapping.helpers import evaluate, failure, problems


def test_a_missing_source_field_is_null() -> None:
    assert evaluate("nothing.here", {"nothing": None}) is None


def test_a_step_through_a_non_object_is_null() -> None:
    assert evaluate("a.b.c", {"a": {"b": "text"}}) is None


def test_deep_paths() -> None:
    assert evaluate("a.b.c.d", {"a": {"b": {"c": {"d": 4}}}}) == 4


def test_backquoted_names_read_odd_keys() -> None:
    assert evaluate("`@odata.etag`", {"@odata.etag": 'W/"1"'}) == 'W/"1"'


def test_context_values_are_read_from_the_context() -> None:
    assert evaluate("context.source_id", {"source_id": "not me"}, context={"source_id": "abc"}) == "abc"


def test_a_context_value_that_was_not_passed_is_null() -> None:
    assert evaluate("context.target_id", {}) is None


def test_a_source_field_named_context_is_read_with_backquotes() -> None:
    assert evaluate("`context`.x", {"context": {"x": 1}}) == 1


def test_unknown_context_values_are_reported() -> None:
    (problem,) = problems("context.sourceid")
    assert "unknown context value 'context.sourceid'" in problem.message
    assert problem.hint == "did you mean 'source_id'?"


def test_list_items_from_either_end_and_null_past_the_end() -> None:
    record = {"a": ["x", "y"]}
    assert (evaluate("a[0]", record), evaluate("a[-1]", record), evaluate("a[2]", record)) == ("x", "y", None)


def test_objects_can_be_indexed_by_text() -> None:
    assert evaluate("a['b c']", {"a": {"b c": 1}}) == 1


def test_indexing_a_list_by_text_fails() -> None:
    assert "a list item is chosen by a whole number" in failure("a['x']", {"a": [1]})


def test_a_field_of_a_function_result() -> None:
    assert evaluate("parse_address(a).city", {"a": "1 Main St\nLeeds, LS1 1AA\nUnited Kingdom"}) == "Leeds"


def test_if_then_else() -> None:
    assert evaluate("if a > 1 then 'big' else 'small'", {"a": 2}) == "big"
    assert evaluate("if a > 1 then 'big'", {"a": 0}) is None


def test_case_compares_its_subject_to_each_when() -> None:
    expression = "case code when 1 then 'Net 30' when 4 then 'Net 60' else 'other' end"
    assert evaluate(expression, {"code": Decimal(4)}) == "Net 60"
    assert evaluate(expression, {"code": 9}) == "other"


def test_case_without_subject_takes_the_first_true_condition() -> None:
    expression = "case when limit >= 100000 then 'A' when limit >= 10000 then 'B' end"
    assert evaluate(expression, {"limit": 25000}) == "B"
    assert evaluate(expression, {"limit": 5}) is None


def test_only_the_chosen_branch_is_evaluated() -> None:
    assert evaluate("if a == null then 'none' else integer(a)", {}) == "none"


def test_unknown_functions_are_reported_with_a_suggestion() -> None:
    (problem,) = problems("trm(name)")
    assert "unknown function trm()" in problem.message
    assert problem.hint == "did you mean 'trim'?"


def test_arguments_of_an_unknown_function_are_still_checked() -> None:
    found = problems("nope(context.bad)")
    assert len(found) == 2


def test_wrong_argument_counts_are_reported_with_the_signature() -> None:
    (problem,) = problems("replace(a, 'b')")
    assert "replace() takes 3 arguments, got 2" in problem.message
    assert problem.hint == "write replace(text, old, new)"


def test_variadic_functions_report_their_minimum() -> None:
    (problem,) = problems("coalesce(a)")
    assert "at least 2 arguments" in problem.message


def test_a_call_on_constants_is_computed_once_when_loading() -> None:
    assert evaluate("upper('eur')") == "EUR"


def test_a_call_on_constants_that_always_fails_is_reported_when_loading() -> None:
    (problem,) = problems("integer('abc')")
    assert "this call fails for every record" in problem.message
