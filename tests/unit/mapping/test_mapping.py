"""Applying a compiled mapping: nulls, nested objects, create-only fields, conditions and failures."""

from decimal import Decimal
from typing import Any

import pytest

from ferry.core.errors import ValidationError
from ferry.mapping import compile_mapping


def apply(spec: dict[str, Any], record: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return compile_mapping({"version": 1, **spec}).apply(record, **kwargs)


def test_fields_are_written_in_file_order() -> None:
    out = apply({"fields": {"b": "x", "a": "y", "c": "z"}}, {"x": 1, "y": 2, "z": 3})
    assert list(out) == ["b", "a", "c"]


def test_null_is_written_by_default() -> None:
    assert apply({"fields": {"Phone": "telephone1"}}, {}) == {"Phone": None}


def test_if_null_omit_leaves_the_field_out() -> None:
    assert apply({"if_null": "omit", "fields": {"Phone": "telephone1", "Name": "name"}}, {"name": "A"}) == {"Name": "A"}


def test_a_field_overrides_the_mapping_if_null() -> None:
    spec = {"if_null": "omit", "fields": {"Phone": {"value": "telephone1", "if_null": "write"}}}
    assert apply(spec, {}) == {"Phone": None}


def test_if_null_fail_names_the_field_and_the_expression() -> None:
    mapping = compile_mapping({"version": 1, "fields": {"CompanyName": {"value": "trim(name)", "if_null": "fail"}}})
    with pytest.raises(ValidationError) as caught:
        mapping.apply({})
    assert caught.value.field_errors == {"CompanyName": "is required, but trim(name) is null for this record"}


def test_constants_in_short_and_long_form() -> None:
    spec = {"fields": {"a": 5, "b": True, "c": None, "d": {"const": "NET30"}, "e": {"const": {"x": [1]}}}}
    assert apply(spec, {}) == {"a": 5, "b": True, "c": None, "d": "NET30", "e": {"x": [1]}}


def test_default_is_used_when_the_value_is_null() -> None:
    spec = {"fields": {"Email": {"value": "contact.email", "default": "email"}, "Terms": {"value": "t", "default": 30}}}
    assert apply(spec, {"email": "a@b"}) == {"Email": "a@b", "Terms": 30}


def test_dotted_targets_build_nested_objects() -> None:
    spec = {"fields": {"A.B.c": "x", "A.d": "y", "e": "z"}}
    assert apply(spec, {"x": 1, "y": 2, "z": 3}) == {"A": {"B": {"c": 1}, "d": 2}, "e": 3}


def test_an_annotation_key_keeps_its_dots() -> None:
    out = apply({"fields": {"transactioncurrencyid@odata.bind": "'/transactioncurrencies(x)'"}}, {})
    assert out == {"transactioncurrencyid@odata.bind": "/transactioncurrencies(x)"}


def test_an_object_is_kept_when_empty_unless_told() -> None:
    spec = {"fields": {"primarycontactid.firstname": "FirstName", "primarycontactid.lastname": "LastName"}}
    assert apply(spec, {}) == {"primarycontactid": {"firstname": None, "lastname": None}}


def test_if_empty_omit_leaves_out_an_object_without_values() -> None:
    spec = {
        "objects": {"primarycontactid": {"if_empty": "omit"}},
        "fields": {"name": "n", "primarycontactid.firstname": "FirstName", "primarycontactid.lastname": "LastName"},
    }
    assert apply(spec, {"n": "Acme"}) == {"name": "Acme"}
    assert apply(spec, {"n": "Acme", "LastName": "Lee"}) == {
        "name": "Acme",
        "primarycontactid": {"firstname": None, "lastname": "Lee"},
    }


def test_if_empty_null_writes_null_for_an_object_without_values() -> None:
    spec = {"objects": {"Address": {"if_empty": "null"}}, "fields": {"Address.City": "city"}}
    assert apply(spec, {}) == {"Address": None}


def test_an_object_with_only_empty_objects_inside_is_empty() -> None:
    spec = {"objects": {"a": {"if_empty": "omit"}}, "fields": {"a.b.c": "x"}}
    assert apply(spec, {}) == {}


def test_required_fields_inside_an_omitted_object_do_not_fail() -> None:
    spec = {
        "objects": {"Address": {"if_empty": "omit"}},
        "fields": {"Address.Line1": {"value": "line1", "if_null": "fail"}, "Address.City": "city"},
    }
    assert apply(spec, {}) == {}
    with pytest.raises(ValidationError, match="Address.Line1: is required"):
        apply(spec, {"city": "Leeds"})


def test_an_object_if_null_applies_to_its_fields() -> None:
    spec = {"if_null": "omit", "objects": {"Address": {"if_null": "write"}}, "fields": {"Address.City": "c", "X": "x"}}
    assert apply(spec, {}) == {"Address": {"City": None}}


def test_an_object_when_false_leaves_it_out() -> None:
    spec = {"objects": {"contact": {"when": "LastName != null"}}, "fields": {"contact.email": "Email"}}
    assert apply(spec, {"Email": "a@b"}) == {}
    assert apply(spec, {"Email": "a@b", "LastName": "Lee"}) == {"contact": {"email": "a@b"}}


def test_a_field_when_false_leaves_it_out() -> None:
    spec = {"fields": {"emailaddress1": {"value": "Email", "when": "LastName == null"}}}
    assert apply(spec, {"Email": "a@b", "LastName": "Lee"}) == {}
    assert apply(spec, {"Email": "a@b"}) == {"emailaddress1": "a@b"}


def test_create_only_fields_are_written_only_when_creating() -> None:
    spec = {"fields": {"ExternalID": {"value": "context.source_id", "create_only": True}, "Name": "n"}}
    context = {"source_id": "abc"}
    assert apply(spec, {"n": "A"}, context=context) == {"Name": "A"}
    assert apply(spec, {"n": "A"}, context=context, creating=True) == {"ExternalID": "abc", "Name": "A"}


def test_create_only_objects_are_written_only_when_creating() -> None:
    spec = {"objects": {"contact": {"create_only": True}}, "fields": {"contact.name": "n"}}
    assert apply(spec, {"n": "A"}) == {}
    assert apply(spec, {"n": "A"}, creating=True) == {"contact": {"name": "A"}}


def test_every_failing_field_is_reported_at_once() -> None:
    mapping = compile_mapping(
        {"version": 1, "name": "m", "fields": {"A": "integer(a)", "B.c": "decimal(b)", "C": "trim(c)"}}
    )
    with pytest.raises(ValidationError) as caught:
        mapping.apply({"a": "x", "b": "y", "c": " ok "})
    assert set(caught.value.field_errors) == {"A", "B.c"}
    assert caught.value.message.startswith("mapping 'm' cannot map this record: A: integer() cannot convert")
    assert caught.value.context["mapping"] == "m"
    assert caught.value.context["mapped"]["C"] == "ok"  # what could be mapped, for a person's overrides to complete


def test_a_failing_object_condition_is_reported_under_the_object() -> None:
    spec = {"objects": {"o": {"when": "integer(x) > 1"}}, "fields": {"o.a": "x"}}
    with pytest.raises(ValidationError) as caught:
        apply(spec, {"x": "many"})
    assert list(caught.value.field_errors) == ["o"]


def test_apply_does_not_change_the_record() -> None:
    record = {"name": " A ", "contact": {"first": "B"}}
    apply({"fields": {"n": "trim(name)", "c.f": "contact.first"}}, record)
    assert record == {"name": " A ", "contact": {"first": "B"}}


def test_fields_read_and_written() -> None:
    mapping = compile_mapping(
        {
            "version": 1,
            "fields": {
                "A.b": "coalesce(x.y, `odd.name`)",
                "c@odata.bind": {"value": "z", "when": "w != null", "default": "d"},
                "e": "context.source_id",
            },
        }
    )
    assert mapping.fields_read == frozenset({"x.y", "`odd.name`", "z", "w", "d"})
    assert mapping.fields_written == frozenset({"A.b", "c@odata.bind", "e"})


def test_floats_in_a_dict_spec_become_decimals() -> None:
    spec = {"lookups": {"t": {"values": {"a": 1.1}}}, "fields": {"x": {"const": [2.2]}, "y": "lookup('t', 'a')"}}
    assert apply(spec, {}) == {"x": [Decimal("2.2")], "y": Decimal("1.1")}
