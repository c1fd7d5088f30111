"""The format's models: what they accept and refuse, independent of YAML."""

from decimal import Decimal

import pytest
from pydantic import ValidationError

from ferry.mapping.spec import CONTEXT_NAMES, FieldSpec, MappingSpec


def test_a_minimal_mapping() -> None:
    spec = MappingSpec.model_validate({"version": 1, "fields": {"a": "b"}})
    assert (spec.if_null, spec.lookups, spec.objects) == ("write", {}, {})


def test_short_form_fields_keep_their_kind() -> None:
    spec = MappingSpec.model_validate(
        {"version": 1, "fields": {"a": "b", "c": 1, "d": True, "e": None, "f": Decimal(2)}}
    )
    assert spec.fields == {"a": "b", "c": 1, "d": True, "e": None, "f": Decimal(2)}


def test_long_form_fields_become_field_specs() -> None:
    spec = MappingSpec.model_validate({"version": 1, "fields": {"a": {"value": "b", "create_only": True}}})
    assert spec.fields["a"] == FieldSpec(value="b", create_only=True)


def test_an_empty_expression_is_refused() -> None:
    with pytest.raises(ValidationError):
        FieldSpec.model_validate({"value": ""})


def test_a_const_may_be_null() -> None:
    assert FieldSpec.model_validate({"const": None}).model_fields_set == {"const"}


def test_only_version_1_exists() -> None:
    with pytest.raises(ValidationError):
        MappingSpec.model_validate({"version": 2, "fields": {"a": "b"}})


def test_lookup_table_names_are_identifiers() -> None:
    with pytest.raises(ValidationError):
        MappingSpec.model_validate({"version": 1, "lookups": {"bad name": {"values": {1: 2}}}, "fields": {"a": "b"}})


def test_the_context_names_are_the_documented_ones() -> None:
    assert {"source_id", "target_id", "sync", "now"} <= CONTEXT_NAMES
