"""The designer's edits of a mapping file: an expression replaced, a long-form field keeping its options,
a field added and one removed, every comment kept."""

from __future__ import annotations

import pytest

from ferry.core.errors import ConfigError
from ferry.project.mapping_edit import fields_of, with_fields

TEXT = """\
# A customer.
version: 1
name: m
fields:
  Name: trim(name)            # the company
  Country:
    value: country_code(address1_country)
    if_null: fail
  Phone: telephone1
"""


def test_fields_are_read_in_file_order_with_long_forms_by_their_value() -> None:
    assert fields_of(TEXT) == [
        ("Name", "trim(name)"),
        ("Country", "country_code(address1_country)"),
        ("Phone", "telephone1"),
    ]


def test_edits_keep_comments_in_their_column_options_and_order() -> None:
    after, diff = with_fields(
        TEXT, {"Name": "upper(name)", "Country": "country_code(address1_country, 'US')", "Phone": None, "Email": "e"}
    )
    assert (
        after
        == """\
# A customer.
version: 1
name: m
fields:
  Name: upper(name)           # the company
  Country:
    value: country_code(address1_country, 'US')
    if_null: fail
  Email: e
"""
    )
    assert diff.startswith("--- mapping\n+++ mapping\n") and "-  Phone: telephone1" in diff


def test_a_file_without_fields_gets_them_and_bad_targets_are_refused() -> None:
    after, _ = with_fields("version: 1\nname: m\n", {"A": "b"})
    assert fields_of(after) == [("A", "b")]
    with pytest.raises(ConfigError, match="not a target field"):
        with_fields(TEXT, {" A": "b"})
