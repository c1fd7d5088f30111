"""Countries: country_code (name to ISO 3166 alpha-2) and country_name (code to name), from pycountry."""

from __future__ import annotations

import unicodedata
from functools import cache, lru_cache
from typing import Any

import pycountry

from ferry.mapping.registry import Example, function
from ferry.mapping.values import ApplyError, expect_text, show

# Names people and systems write that ISO 3166 does not list.
_ALIASES = {
    "usa": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "america": "US",
    "united states of america": "US",
    "uk": "GB",
    "u.k.": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "deutschland": "DE",
    "frankreich": "FR",
    "holland": "NL",
    "the netherlands": "NL",
    "south korea": "KR",
    "korea": "KR",
    "north korea": "KP",
    "russia": "RU",
    "vietnam": "VN",
    "czech republic": "CZ",
    "ivory coast": "CI",
    "macedonia": "MK",
    "swaziland": "SZ",
    "turkey": "TR",
}


def _fold(text: str) -> str:
    """Lower case, accents removed, spaces collapsed: `Côte  d'Ivoire` and `cote d'ivoire` are the same."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(plain.lower().split())


@cache
def _index() -> dict[str, str]:
    index: dict[str, str] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        for attr in ("alpha_2", "alpha_3", "name", "common_name", "official_name"):
            value = getattr(country, attr, None)
            if value:
                index.setdefault(_fold(value), code)
    for alias, code in _ALIASES.items():
        index.setdefault(_fold(alias), code)
    return index


@lru_cache(maxsize=1024)
def code_of(text: str) -> str | None:
    """The ISO 3166 alpha-2 code of a country name or code, or None when it is not a known country."""
    return _index().get(_fold(text))


@function(
    "country_code",
    category="countries",
    example=Example("country_code(address1_country)", "GB", {"address1_country": "United Kingdom"}),
)
def country_code(country: Any) -> str | None:
    """The ISO 3166 two-letter code of a country, from its English name (`United States`), common or
    official name, two- or three-letter code, or a usual alias (`USA`, `UK`, `Great Britain`, `Deutschland`).
    Case, accents and extra spaces do not matter. An unknown country fails the record (wrap it in
    `try(..., null)` to write null instead). Null or blank stays null."""
    if country is None:
        return None
    text = expect_text(country, "country_code")
    if not text.strip():
        return None
    code = code_of(text)
    if code is None:
        raise ApplyError(f"country_code() does not know the country {show(text)}")
    return code


@function(
    "country_name",
    category="countries",
    example=Example("country_name(BillingAddress.Country)", "United States", {"BillingAddress": {"Country": "US"}}),
)
def country_name(country: Any) -> str | None:
    """The English short name of a country (`US` → `United States`, `GB` → `United Kingdom`,
    `KR` → `South Korea`), from its ISO code or any name `country_code` accepts. This is the name Dynamics 365
    shows in `address1_country`. An unknown country fails the record. Null or blank stays null."""
    code = country_code(country)
    if code is None:
        return None
    record = pycountry.countries.get(alpha_2=code)
    if record is None:  # pragma: no cover - every code in the index comes from pycountry
        raise ApplyError(f"country_name() does not know the country {show(country)}")
    return str(getattr(record, "common_name", None) or record.name)
