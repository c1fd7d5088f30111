"""The function registry: what the reference lists, and that every documented example is true."""

from typing import Any

import pytest

from ferry.mapping import FunctionInfo, compile_mapping, functions
from ferry.mapping.registry import Example, function

FUNCTIONS = functions()


def test_every_function_of_the_language_is_registered() -> None:
    expected = {
        "concat", "join", "format", "split", "trim", "upper", "lower", "replace", "substring", "length",
        "string", "integer", "decimal", "boolean", "date", "datetime", "coalesce", "default", "nullif", "try",
        "lookup", "twin", "round", "abs", "parse_address", "format_address", "country_code", "country_name",
        "convert", "rate", "rate_date", "money", "sum", "count", "min", "max", "map_items", "tax", "allocate",
        "group_lines", "split_lines", "filter_items",
    }  # fmt: skip
    assert set(FUNCTIONS) == expected


def test_functions_are_listed_by_name() -> None:
    assert list(FUNCTIONS) == sorted(FUNCTIONS)


@pytest.mark.parametrize("info", FUNCTIONS.values(), ids=lambda info: info.name)
def test_every_function_documents_itself(info: FunctionInfo) -> None:
    assert info.signature.startswith(f"{info.name}(")
    assert len(info.description) > 20
    assert info.example.expression


@pytest.mark.parametrize("info", FUNCTIONS.values(), ids=lambda info: info.name)
def test_every_example_gives_its_documented_result(info: FunctionInfo) -> None:
    example = info.example
    spec: dict[str, Any] = {"version": 1, "lookups": dict(example.lookups), "fields": {"out": example.expression}}
    if example.rates:
        spec["rates"] = dict(example.rates)
    result = compile_mapping(spec).apply(dict(example.record))["out"]
    assert result == example.result
    assert type(result) is type(example.result)


def test_signatures_come_from_the_python_parameters() -> None:
    assert FUNCTIONS["substring"].signature == "substring(text, start[, length])"
    assert FUNCTIONS["concat"].signature == "concat(values...)"
    assert (FUNCTIONS["substring"].min_args, FUNCTIONS["substring"].max_args) == (2, 3)
    assert FUNCTIONS["join"].max_args is None


def test_a_name_cannot_be_registered_twice() -> None:
    with pytest.raises(RuntimeError, match="registered twice"):

        @function("trim", category="text", example=Example("trim(a)", "a"))
        def trim_again(text: Any) -> Any:
            return text
