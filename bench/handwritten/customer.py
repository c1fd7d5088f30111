"""`account-to-customer.yaml` by hand: a Dynamics 365 account with its primary contact as a TIMS customer."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

PAYMENT_TERMS = {1: "NET30", 4: "NET60"}
CURRENCY_BY_COUNTRY = {"US": "USD", "GB": "GBP", "CA": "CAD", "AU": "AUD", "DE": "EUR", "FR": "EUR"}
# Only the countries the benchmark's accounts use: ferry's country_code() knows every ISO 3166 name.
COUNTRY_CODES = {"united states": "US", "us": "US", "usa": "US", "united kingdom": "GB", "gb": "GB", "uk": "GB"}
CITY_LINE = re.compile(r"^(?P<city>[^,]+),\s*(?P<state>\S+)\s+(?P<postal>\S*\d\S*)$")
CENTS = Decimal("0.01")


def country_code(country: str | None) -> str | None:
    if country is None or not country.strip():
        return None
    code = COUNTRY_CODES.get(" ".join(country.split()).lower())
    if code is None:
        raise ValueError(f"unknown country {country!r}")
    return code


def parse_address(composite: str | None) -> dict[str, str | None]:
    """Street lines, "city, state postal", country: the shape Dynamics 365 writes into address1_composite."""
    parts: dict[str, str | None] = dict.fromkeys(("line1", "line2", "line3", "city", "state", "postal_code", "country"))
    if composite is None or not composite.strip():
        return parts
    lines = [line.strip() for line in composite.replace("\r\n", "\n").replace("\r", "\n").split("\n") if line.strip()]
    if len(lines) > 1 and lines[-1].lower() in COUNTRY_CODES:
        parts["country"] = lines.pop()
    if len(lines) > 1 and (match := CITY_LINE.match(lines[-1])):
        lines.pop()
        parts["city"], parts["state"], parts["postal_code"] = match["city"], match["state"], match["postal"]
    for name, line in zip(("line1", "line2", "line3"), lines, strict=False):
        parts[name] = line
    return parts


def join(separator: str, *values: str | None) -> str | None:
    kept = [v for v in values if v is not None and v.strip()]
    return separator.join(kept) if kept else None


def customer(account: dict[str, Any], source_id: str | None, *, creating: bool) -> dict[str, Any]:
    contact = account.get("primarycontactid") or {}
    line1 = account.get("address1_line1")
    parsed = parse_address(account.get("address1_composite")) if line1 is None else None

    def part(column: str, name: str) -> str | None:
        value = account.get(column)
        return value if value is not None or parsed is None else parsed[name]

    street = line1 if parsed is None else parsed["line1"]
    if street is None:
        raise ValueError("BillingAddress.Line1 is null")
    country = country_code(part("address1_country", "country"))
    if country is None:
        raise ValueError("BillingAddress.Country is null")
    firstname, lastname = contact.get("firstname"), contact.get("lastname")
    line2 = (
        join(", ", account.get("address1_line2"), account.get("address1_line3"))
        if parsed is None
        else join(", ", parsed["line2"], parsed["line3"])
    )
    out: dict[str, Any] = {
        "CompanyName": None if account.get("name") is None else account["name"].strip(),
        "FirstName": None if firstname is None else firstname.strip(),
        "LastName": None if lastname is None else lastname.strip(),
        "Email": contact.get("emailaddress1")
        if contact.get("emailaddress1") is not None
        else account.get("emailaddress1"),
        "Phone": contact.get("telephone1") if contact.get("telephone1") is not None else account.get("telephone1"),
        "BillingAddress": {
            "Line1": street,
            "Line2": line2,
            "City": part("address1_city", "city"),
            "State": part("address1_stateorprovince", "state"),
            "PostalCode": part("address1_postalcode", "postal_code"),
            "Country": country,
        },
    }
    limit = account.get("creditlimit")
    out["CreditLimit"] = None if limit is None else str(Decimal(limit).quantize(CENTS, rounding=ROUND_HALF_UP))
    terms = account.get("paymenttermscode")
    if terms is not None:
        out["PaymentTerms"] = PAYMENT_TERMS.get(terms, "NET30")
    if creating:
        currency = (account.get("transactioncurrencyid") or {}).get("isocurrencycode")
        if currency is None:
            try:
                code = country_code(account.get("address1_country"))
            except ValueError:
                code = None
            currency = None if code is None else CURRENCY_BY_COUNTRY.get(code)
        if currency is not None:
            out["Currency"] = currency
    if source_id is not None:
        out["ExternalID"] = source_id
    return out
