"""Exchange rates, compiled from a mapping's `rates:` section (inline rows and/or a CSV file).

A rate says: on and after `date`, one unit of `from` is worth `rate` units of `to`. A conversion takes
the latest rate dated on or before the day asked for; when only the reverse pair is listed, its inverse.

Money is rounded to the target currency's minor units (ISO 4217: two for most, none for JPY, three for
KWD...) half up, like `round()`: halves away from zero is what ERPs (Dynamics 365, SAP), invoices and
the EU's euro conversion rules (Regulation 1103/97) do, so a converted amount is the one the ERP would
compute. The bias half-up has over many roundings is dealt with where it matters, when an amount is
split: `allocate()` makes the parts add up to the total exactly.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ferry.mapping.values import ApplyError, as_decimal, kind, show

#: Currencies whose minor unit is not the hundredth (ISO 4217); all others have two decimal places.
MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(
        ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV"), 0
    ),
    **dict.fromkeys(("XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}

_CURRENCY = re.compile(r"[A-Z]{3}")
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def currency_code(value: Any) -> str:
    """`value` as an ISO 4217 code; ValueError with the reason otherwise (for the loader's problems)."""
    if isinstance(value, str) and _CURRENCY.fullmatch(value):
        return value
    raise ValueError(f"a currency is an ISO 4217 code of three capital letters (EUR), got {show(value)}")


def rate_value(value: Any) -> Decimal:
    """`value` as an exact, positive rate; ValueError with the reason otherwise."""
    number: Decimal | None = None
    if isinstance(value, int | Decimal | float) and not isinstance(value, bool):
        number = as_decimal(value)
    elif isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):
        number = Decimal(value.strip())
    if number is None or not number.is_finite():
        raise ValueError(f"a rate is a decimal number such as 1.0842, got {kind(value)} {show(value)}")
    if number <= 0:
        raise ValueError(f"a rate must be more than 0, got {number}")
    return number


def rate_date(value: Any) -> dt.date:
    """`value` as the day a rate starts; ValueError with the reason otherwise."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"a rate's date is an ISO 8601 day such as 2026-11-01, got {kind(value)} {show(value)}")


def day(value: Any, function_name: str) -> dt.date:
    """A date argument (a date, a date-time or ISO text) as a day, for conversions."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.strip()).date()
        except ValueError:
            pass
    raise ApplyError(f"{function_name}() expects a date (2026-11-22), got {kind(value)} {show(value)}")


#: One rate: from, to, units of `to` for one `from`, and the day it applies from.
RateRow = tuple[str, str, Decimal, dt.date]


class RateTable:
    """The rates of one mapping by currency pair, each pair's rates in date order."""

    __slots__ = ("_follow", "_minor", "_pairs", "source")

    def __init__(
        self,
        rows: Iterable[RateRow],
        minor_units: Mapping[str, int] | None = None,
        source: str = "the mapping's rates",
    ) -> None:
        #: Where the rates are kept, in words for the person who adds a missing one (`rates/fx.csv`).
        self.source = source
        self._follow: Callable[[bool], Iterable[RateRow] | None] | None = None
        self._pairs = _by_pair(rows)
        self._minor = {**MINOR_UNITS, **(minor_units or {})}

    def follow(self, changed: Callable[[bool], Iterable[RateRow] | None]) -> None:
        """Ask `changed` for the rows again (None: unchanged), e.g. from an edited file: before each
        look-up, and once more, with True (now, not at its leisure), before failing one."""
        self._follow = changed

    def _refresh(self, now: bool) -> bool:
        rows = self._follow(now) if self._follow is not None else None
        if rows is not None:
            self._pairs = _by_pair(rows)
        return rows is not None

    def knows(self, source: str, target: str) -> bool:
        """Whether any rate converts `source` to `target` (directly, inverted, or the same currency)."""
        return source == target or (source, target) in self._pairs or (target, source) in self._pairs

    def places(self, currency: str) -> int:
        """The number of decimal places of `currency`'s minor unit."""
        return self._minor.get(currency, 2)

    def round(self, amount: Decimal | int, currency: str) -> Decimal:
        """`amount` rounded half up to `currency`'s minor units."""
        try:
            return Decimal(amount).quantize(Decimal(1).scaleb(-self.places(currency)), rounding=ROUND_HALF_UP)
        except InvalidOperation:
            raise ApplyError(f"cannot round {amount} to {currency}'s minor units") from None

    def _latest(self, pair: tuple[str, str], on: dt.date | None) -> tuple[dt.date, Decimal] | None:
        found = self._pairs.get(pair)
        if found is None:
            return None
        dates, rates = found
        at = len(dates) if on is None else bisect.bisect_right(dates, on)
        return (dates[at - 1], rates[at - 1]) if at else None

    def _look_up(self, source: str, target: str, on: dt.date | None) -> tuple[Decimal, dt.date] | None:
        direct, reverse = self._latest((source, target), on), self._latest((target, source), on)
        if direct is not None and (reverse is None or direct[0] >= reverse[0]):
            return direct[1], direct[0]
        if reverse is not None:
            return Decimal(1) / reverse[1], reverse[0]
        return None

    def find(self, source: str, target: str, on: dt.date | None) -> tuple[Decimal, dt.date | None]:
        """The rate from `source` to `target` on day `on` (the latest listed when None), and its date.

        The latest rate dated on or before `on`, from the pair or, inverted, from the reverse pair (the
        pair itself when both have one that day). The same currency is 1. No rate fails the record."""
        if source == target:
            return Decimal(1), on
        self._refresh(False)
        found = self._look_up(source, target, on)
        if found is None and self._refresh(True):
            found = self._look_up(source, target, on)
        if found is not None:
            return found
        when = f" on or before {on.isoformat()}" if on is not None else ""
        listed = self._pairs.get((source, target)) or self._pairs.get((target, source))
        if listed is not None:
            hint = f" (its first rate is dated {listed[0][0].isoformat()})"
        else:
            known = ", ".join(sorted(f"{a}->{b}" for a, b in self._pairs)) or "none"
            hint = f" (the rates list: {known})"
        raise ApplyError(
            f"no exchange rate from {source} to {target}{when} in {self.source}{hint}: add one, then replay"
        )


def _by_pair(rows: Iterable[RateRow]) -> dict[tuple[str, str], tuple[list[dt.date], list[Decimal]]]:
    pairs: dict[tuple[str, str], dict[dt.date, Decimal]] = {}
    for source, target, rate, date in rows:
        pairs.setdefault((source, target), {})[date] = rate
    return {pair: (sorted(by_date), [by_date[d] for d in sorted(by_date)]) for pair, by_date in pairs.items()}
