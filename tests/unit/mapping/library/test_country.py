import pytest

from tests.unit.mapping.helpers import evaluate, failure


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("United States", "US"),
        ("United Kingdom", "GB"),
        ("Canada", "CA"),
        ("Germany", "DE"),
        ("Australia", "AU"),
        ("France", "FR"),
        ("  united   kingdom ", "GB"),
        ("USA", "US"),
        ("UK", "GB"),
        ("Deutschland", "DE"),
        ("United Kingdom of Great Britain and Northern Ireland", "GB"),
        ("DEU", "DE"),
        ("fr", "FR"),
        ("Cote d'Ivoire", "CI"),
        ("South Korea", "KR"),
    ],
)
def test_country_code_from_names_codes_and_aliases(name: str, code: str) -> None:
    assert evaluate("country_code(a)", {"a": name}) == code


@pytest.mark.parametrize("value", [None, "", "  "])
def test_country_code_of_nothing_is_null(value: object) -> None:
    assert evaluate("country_code(a)", {"a": value}) is None


def test_an_unknown_country_fails_the_record() -> None:
    assert failure("country_code(a)", {"a": "Atlantis"}) == "country_code() does not know the country 'Atlantis'"


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("US", "United States"),
        ("GB", "United Kingdom"),
        ("CA", "Canada"),
        ("DE", "Germany"),
        ("AU", "Australia"),
        ("FR", "France"),
        ("KR", "South Korea"),
        ("gbr", "United Kingdom"),
    ],
)
def test_country_name_gives_the_name_dynamics_shows(code: str, name: str) -> None:
    assert evaluate("country_name(a)", {"a": code}) == name


def test_name_and_code_round_trip_for_every_country() -> None:
    import pycountry

    for country in pycountry.countries:
        name = evaluate("country_name(a)", {"a": country.alpha_2})
        assert evaluate("country_code(a)", {"a": name}) == country.alpha_2
