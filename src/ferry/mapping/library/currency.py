"""Currencies: convert, rate and rate_date (from the mapping's `rates:`), and money (rounding to minor units)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ferry.mapping.library.amounts import exact
from ferry.mapping.nodes import Literal
from ferry.mapping.rates import RateTable, day
from ferry.mapping.registry import CallSite, Evaluator, Example, Rates, special_form
from ferry.mapping.values import ApplyError, kind, show

_EUR_USD = {"rows": [{"from": "EUR", "to": "USD", "rate": Decimal("1.0842"), "date": dt.date(2026, 11, 1)}]}
#: Minor units only, for `money()` in a mapping without `rates:`.
_DEFAULTS = RateTable(())


def _currency(value: Any, function_name: str) -> str:
    if isinstance(value, str) and len(value) == 3 and value.isascii() and value.isalpha():
        return value.upper()
    raise ApplyError(f"{function_name}() expects a currency code such as 'EUR', got {kind(value)} {show(value)}")


def _rates(site: CallSite) -> Rates | None:
    """The mapping's rates; a problem (and None) when it has none, and a check of literal currency pairs."""
    if site.rates is None:
        site.report(
            f"{site.name}() needs exchange rates, and this mapping has no `rates:` section",
            site.nodes[0],
            "declare them under `rates:` (rows, or a CSV file); see docs/mapping.md",
        )
        return None
    first = 1 if site.name == "convert" else 0
    source, target = site.nodes[first], site.nodes[first + 1]
    literal = [n.value if isinstance(n, Literal) and isinstance(n.value, str) else None for n in (source, target)]
    for node, code in zip((source, target), literal, strict=True):
        if code is not None and (len(code) != 3 or not code.isalpha() or not code.isascii()):
            site.report(f"{site.name}(): {code!r} is not a currency code", node, "write an ISO 4217 code: 'EUR'")
            return None
    if literal[0] is not None and literal[1] is not None:
        pair = (literal[0].upper(), literal[1].upper())
        if not site.rates.knows(*pair):
            site.report(
                f"{site.name}(): the rates list no rate from {pair[0]} to {pair[1]} (nor from {pair[1]} to {pair[0]})",
                site.nodes[0],
                "add the pair under `rates:`",
            )
            return None
    return site.rates


def _on(value: Any, function_name: str) -> dt.date | None:
    return None if value is None else day(value, function_name)


@special_form(
    "convert",
    category="currencies",
    signature="convert(amount, from_currency, to_currency[, on_date])",
    min_args=3,
    max_args=4,
    example=Example(
        "convert(TotalAmount, Currency, 'USD', InvoiceDate)",
        Decimal("135.53"),
        {"TotalAmount": Decimal("125.00"), "Currency": "EUR", "InvoiceDate": "2026-11-20"},
        rates=_EUR_USD,
    ),
)
def convert(site: CallSite) -> Evaluator:
    """`amount` in `from_currency` converted to `to_currency` with the mapping's `rates:`, rounded half up
    to the target currency's minor units (2 places; 0 for JPY, 3 for KWD...). The rate is the latest one
    dated on or before `on_date` (a date, date-time or ISO text; without it, the latest listed), taken
    from the pair or, inverted, from the reverse pair. The same currency gives `amount` unchanged. No
    rate for the pair and day fails the record, naming both; a null argument gives null. The amount
    must be an exact number (a binary float fails)."""
    rates = _rates(site)
    if rates is None:
        return _null
    amount, source, target = site.args[0], site.args[1], site.args[2]
    on = site.args[3] if len(site.args) > 3 else None

    def evaluate(record: dict[str, Any], context: dict[str, Any]) -> Any:
        value, a, b = amount(record, context), source(record, context), target(record, context)
        when = on(record, context) if on is not None else None
        if value is None or a is None or b is None or (on is not None and when is None):
            return None
        number = exact(value, "convert")
        a, b = _currency(a, "convert"), _currency(b, "convert")
        if a == b:
            return number
        rate, _ = rates.find(a, b, _on(when, "convert"))
        return rates.round(number * rate, b)

    return evaluate


def _rate_form(site: CallSite, which: int) -> Evaluator:
    rates = _rates(site)
    if rates is None:
        return _null
    source, target = site.args[0], site.args[1]
    on = site.args[2] if len(site.args) > 2 else None

    def evaluate(record: dict[str, Any], context: dict[str, Any]) -> Any:
        a, b = source(record, context), target(record, context)
        when = on(record, context) if on is not None else None
        if a is None or b is None or (on is not None and when is None):
            return None
        found = rates.find(_currency(a, site.name), _currency(b, site.name), _on(when, site.name))
        return found[which]

    return evaluate


@special_form(
    "rate",
    category="currencies",
    signature="rate(from_currency, to_currency[, on_date])",
    min_args=2,
    max_args=3,
    example=Example(
        "rate(Currency, 'USD', InvoiceDate)",
        Decimal("1.0842"),
        {"Currency": "EUR", "InvoiceDate": "2026-11-20"},
        rates=_EUR_USD,
    ),
)
def rate(site: CallSite) -> Evaluator:
    """The exchange rate `convert()` uses from `from_currency` to `to_currency` on `on_date`: units of
    `to_currency` for one `from_currency`, unrounded (an inverted rate has up to 28 digits; round it to
    what the target field holds). 1 for the same currency. Write it on the target record beside the
    converted amount so that the conversion can be checked."""
    return _rate_form(site, 0)


@special_form(
    "rate_date",
    category="currencies",
    signature="rate_date(from_currency, to_currency[, on_date])",
    min_args=2,
    max_args=3,
    example=Example(
        "rate_date(Currency, 'USD', InvoiceDate)",
        dt.date(2026, 11, 1),
        {"Currency": "EUR", "InvoiceDate": "2026-11-20"},
        rates=_EUR_USD,
    ),
)
def rate_date(site: CallSite) -> Evaluator:
    """The date of the rate `convert()` uses from `from_currency` to `to_currency` on `on_date` (the day
    the rate applies from, which may be before `on_date`). For the same currency, `on_date` itself."""
    return _rate_form(site, 1)


@special_form(
    "money",
    category="currencies",
    signature="money(amount, currency)",
    min_args=2,
    max_args=2,
    example=Example("money(Total, 'JPY')", Decimal("12346"), {"Total": Decimal("12345.50")}),
)
def money(site: CallSite) -> Evaluator:
    """`amount` rounded half up to `currency`'s minor units: 2 places for most currencies, 0 for JPY,
    KRW..., 3 for KWD, BHD... (ISO 4217, or the mapping's `rates: minor_units:`). Null gives null."""
    table = site.rates if site.rates is not None else _DEFAULTS
    amount, currency = site.args

    def evaluate(record: dict[str, Any], context: dict[str, Any]) -> Any:
        value, code = amount(record, context), currency(record, context)
        if value is None or code is None:
            return None
        return table.round(exact(value, "money"), _currency(code, "money"))

    return evaluate


def _null(record: dict[str, Any], context: dict[str, Any]) -> None:
    return None
