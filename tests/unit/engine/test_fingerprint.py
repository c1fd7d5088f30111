from __future__ import annotations

from decimal import Decimal

from ferry.engine.fingerprint import changes, fingerprint, normalise


def test_same_meaning_same_fingerprint() -> None:
    a = {"CreditLimit": "5000.00", "Name": "Acme", "Address": {"City": "Leeds", "Line1": "1 Way"}}
    b = {"Address": {"Line1": "1 Way", "City": "Leeds"}, "Name": "Acme", "CreditLimit": Decimal("5000")}
    assert fingerprint(a) == fingerprint(b)
    assert fingerprint(a) != fingerprint({**a, "Name": "Acme Ltd"})


def test_codes_keep_leading_zeros() -> None:
    assert normalise("00599") == "00599"
    assert normalise(Decimal("12.50")) == "12.5"


def test_changes_lists_only_what_differs() -> None:
    desired = {"Name": "Acme", "Phone": "555", "CreditLimit": Decimal("10"), "Contact": {"First": "A", "Last": "B"}}
    current = {"Name": "Acme", "Phone": "556", "CreditLimit": "10.00", "Contact": {"First": "A", "Last": "C"}}
    assert changes(desired, current) == {"Phone": "555", "Contact": {"First": "A", "Last": "B"}}


def test_fields_the_target_does_not_return_are_sent_unless_null() -> None:
    desired = {"primarycontactid@odata.bind": "/contacts(1)", "nothing": None}
    assert changes(desired, {}) == {"primarycontactid@odata.bind": "/contacts(1)"}


def test_lines_compare_item_by_item_on_the_fields_written() -> None:
    from ferry.engine.fingerprint import changes

    want = {"Lines": [{"ItemID": 20001, "Quantity": 2}, {"ItemID": 20002, "Quantity": 1}]}
    have = {"Lines": [{"LineNo": 1, "ItemID": 20001, "Quantity": 2, "LineTotal": "10.00"},
                      {"LineNo": 2, "ItemID": 20002, "Quantity": 1, "LineTotal": "5.00"}]}  # fmt: skip
    assert changes(want, have) == {}  # the target's own fields (LineNo, LineTotal) are not differences
    assert changes({"Lines": [{"ItemID": 20001, "Quantity": 3}, want["Lines"][1]]}, have) != {}
    assert changes({"Lines": want["Lines"][:1]}, have) != {}  # a line removed
