import pytest

from ferry.mapping.suggest.tokens import concepts, split_name


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("address1_stateorprovince", ["address", "1", "stateorprovince"]),
        ("BillingAddress.PostalCode", ["billing", "address", "postal", "code"]),
        ("paymenttermscode", ["payment", "terms", "code"]),
        ("new_customerno", ["customer", "no"]),
        ("msdyn_qtyonhand", ["qty", "on", "hand"]),
        ("VATRegistration", ["vat", "registration"]),
        ("KUNNR", ["kunnr"]),
    ],
)
def test_names_split_into_words_on_case_underscores_and_known_glued_words(name: str, words: list[str]) -> None:
    assert split_name(name) == words


def test_a_glued_word_that_known_words_do_not_cover_stays_whole() -> None:
    assert split_name("zorblatt") == ["zorblatt"]


@pytest.mark.parametrize(
    ("left", "right"),
    [("telephone1", "Phone"), ("emailaddress1", "Email"), ("ZipCode", "PostalCode"), ("StreetName", "Line1")],
)
def test_synonyms_meet_on_one_concept(left: str, right: str) -> None:
    shared = set(concepts(left)) & set(concepts(right))
    assert shared - {"1", "name", "code"}


def test_two_word_phrases_become_one_concept() -> None:
    assert concepts("productnumber") == ["sku"]
    assert concepts("msdyn_qtyonhand") == ["quantity", "onhand"]
    assert concepts("createdon") == ["created", "date"]
