import pytest

from ferry.mapping.paths import PathError, join_path, split_path


def test_dots_separate_parts() -> None:
    assert split_path("BillingAddress.City") == ("BillingAddress", "City")


def test_a_dot_after_an_at_sign_belongs_to_the_name() -> None:
    assert split_path("primarycontactid.parentcustomerid_account@odata.bind") == (
        "primarycontactid",
        "parentcustomerid_account@odata.bind",
    )


def test_backquoted_parts_hold_any_character() -> None:
    assert split_path("`a.b`.c") == ("a.b", "c")


@pytest.mark.parametrize("text", ["", "a..b", "a.", " a", "`a", "`a`b"])
def test_malformed_paths_are_refused(text: str) -> None:
    with pytest.raises(PathError):
        split_path(text)


@pytest.mark.parametrize("parts", [("a", "b"), ("x@odata.bind",), ("a.b", "c"), ("odd name",)])
def test_joined_paths_split_back(parts: tuple[str, ...]) -> None:
    assert split_path(join_path(parts)) == parts
