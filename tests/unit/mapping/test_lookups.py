from decimal import Decimal

import pytest

from ferry.mapping.lookups import LookupTable
from ferry.mapping.values import ApplyError

TERMS = {1: "NET30", 4: "NET60"}


def test_a_listed_key_gives_its_value_whatever_the_number_kind() -> None:
    table = LookupTable("t", TERMS)
    assert (table(4), table(Decimal("4.00"))) == ("NET60", "NET60")


def test_an_unlisted_key_gives_the_default() -> None:
    assert LookupTable("t", TERMS, default="NET30")(2) == "NET30"


def test_text_does_not_match_a_number_key() -> None:
    assert LookupTable("t", TERMS, default="miss")("1") == "miss"


def test_booleans_and_numbers_do_not_match() -> None:
    assert LookupTable("t", {1: "one"}, default="miss")(True) == "miss"
    assert LookupTable("t", {True: "yes"}, default="miss")(1) == "miss"


def test_a_null_key_gives_null_not_the_default() -> None:
    assert LookupTable("t", TERMS, default="NET30")(None) is None


def test_a_table_may_map_null() -> None:
    assert LookupTable("t", {None: "unset"})(None) == "unset"


def test_strict_tables_fail_on_a_miss() -> None:
    with pytest.raises(ApplyError, match="lookup table 't' has no entry for 2"):
        LookupTable("t", TERMS, strict=True)(2)


def test_ignore_case() -> None:
    assert LookupTable("c", {"United States": "US"}, ignore_case=True)("UNITED STATES") == "US"


def test_a_list_is_not_a_key() -> None:
    with pytest.raises(ApplyError, match="takes a single value"):
        LookupTable("t", TERMS)([1])
