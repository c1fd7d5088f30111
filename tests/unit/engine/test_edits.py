from __future__ import annotations

from decimal import Decimal

from ferry.engine.edits import Edit, field_changes, get_path, unknown_fields, with_values


def test_values_are_laid_over_dotted_paths_without_touching_the_original() -> None:
    record = {"name": "Acme", "BillingAddress": {"Line1": "1 Road", "Country": None}}
    changed = with_values(record, {"BillingAddress.Country": "AU", "Terms.Code": "NET30"})
    assert changed == {
        "name": "Acme",
        "BillingAddress": {"Line1": "1 Road", "Country": "AU"},
        "Terms": {"Code": "NET30"},
    }
    assert record["BillingAddress"] == {"Line1": "1 Road", "Country": None}
    assert get_path(changed, "BillingAddress.Country") == "AU" and get_path(changed, "Nope.x") is None


def test_field_changes_name_each_leaf_that_differs_with_before_and_after() -> None:
    before = {"name": "Acme", "limit": "5000.00", "address": {"country": "Atlantis", "city": "X"}}
    after = {"name": "Acme", "limit": Decimal("5000"), "address": {"country": "Australia", "city": "X"}, "new": 1}
    assert field_changes(before, after) == {
        "address.country": {"before": "Atlantis", "after": "Australia"},
        "new": {"before": None, "after": 1},
    }
    assert field_changes(None, {"a": 1}) == {"a": {"before": None, "after": 1}}


def test_unknown_fields_are_those_the_mapping_does_not_write() -> None:
    known = frozenset({"CompanyName", "BillingAddress.Country", "primarycontactid"})
    given = {"CompanyName": 1, "BillingAddress": {}, "primarycontactid.lastname": "x", "Kountry": 1, "a..b": 2}
    assert unknown_fields(given, known) == ["Kountry", "a..b"]


def test_an_edit_survives_its_json_form() -> None:
    edit = Edit(by="alice", record={"a": 1}, target_values={"B": 2}, letter=4, changes={"a": {"before": 0, "after": 1}})
    assert Edit.from_json(edit.to_json()) == edit
    assert not edit.decided and Edit(review=3).decided
    assert edit.audit() == {
        "by": "alice",
        "changes": {"a": {"before": 0, "after": 1}},
        "dead_letter": 4,
        "edited_record": True,
        "overrides": {"B": 2},
    }
