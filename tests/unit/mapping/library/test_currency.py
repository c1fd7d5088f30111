"""Exchange rates: the rates: section, convert, rate, rate_date and money."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ferry.core.errors import ValidationError
from ferry.core.problems import ProblemsError
from ferry.mapping import compile_mapping, load

ROWS = [
    {"from": "EUR", "to": "USD", "rate": Decimal("1.0800"), "date": dt.date(2026, 10, 1)},
    {"from": "EUR", "to": "USD", "rate": Decimal("1.0842"), "date": dt.date(2026, 11, 1)},
    {"from": "USD", "to": "JPY", "rate": Decimal("151.37"), "date": dt.date(2026, 11, 1)},
    {"from": "GBP", "to": "EUR", "rate": Decimal("1.1500"), "date": dt.date(2026, 11, 1)},
]


def value(expression: str, record: dict[str, Any] | None = None, rates: dict[str, Any] | None = None) -> Any:
    spec = {"version": 1, "rates": rates or {"rows": ROWS}, "fields": {"out": expression}}
    return compile_mapping(spec).apply(record or {})["out"]


def failure(expression: str, record: dict[str, Any] | None = None) -> str:
    with pytest.raises(ValidationError) as caught:
        value(expression, record)
    return caught.value.field_errors["out"]


def problems(spec: dict[str, Any], **kwargs: Any) -> list[str]:
    with pytest.raises(ProblemsError) as caught:
        compile_mapping({"version": 1, "fields": {"out": "1"}, **spec}, **kwargs)
    return [p.message for p in caught.value.problems]


def test_convert_takes_the_latest_rate_on_or_before_the_date() -> None:
    record = {"amount": Decimal("100.00")}
    assert value("convert(amount, 'EUR', 'USD', '2026-10-31')", record) == Decimal("108.00")
    assert value("convert(amount, 'EUR', 'USD', '2026-11-01')", record) == Decimal("108.42")
    assert value("convert(amount, 'EUR', 'USD', datetime('2026-12-24T10:00:00Z'))", record) == Decimal("108.42")
    assert value("convert(amount, 'EUR', 'USD')", record) == Decimal("108.42")  # the latest listed


def test_convert_rounds_half_up_to_the_target_currency_minor_units() -> None:
    # 0.50 EUR * 1.0842 = 0.5421 -> 0.54; 12.345 * 1 ... halves go away from zero
    assert value("convert(a, 'EUR', 'USD')", {"a": Decimal("0.50")}) == Decimal("0.54")
    assert value("convert(a, 'USD', 'JPY')", {"a": Decimal("10.00")}) == Decimal("1514")  # 1513.7, no minor unit
    half = {"rows": [{"from": "EUR", "to": "USD", "rate": "1.5", "date": "2026-01-01"}]}
    assert value("convert(a, 'EUR', 'USD')", {"a": Decimal("0.01")}, half) == Decimal("0.02")  # 0.015 -> 0.02
    assert value("convert(a, 'EUR', 'USD')", {"a": Decimal("0.03")}, half) == Decimal("0.05")  # 0.045 -> 0.05
    assert value("convert(a, 'EUR', 'USD')", {"a": Decimal("-0.01")}, half) == Decimal("-0.02")


def test_convert_inverts_the_reverse_pair() -> None:
    # Only GBP->EUR 1.15 is listed: 115.00 EUR is 100.00 GBP.
    assert value("convert(a, 'EUR', 'GBP')", {"a": Decimal("115.00")}) == Decimal("100.00")
    assert value("rate('EUR', 'GBP', '2026-11-05')") == Decimal(1) / Decimal("1.15")


def test_the_same_currency_is_unchanged() -> None:
    assert value("convert(a, 'EUR', 'EUR', '1999-01-01')", {"a": Decimal("12.345")}) == Decimal("12.345")
    assert value("convert(a, c, c)", {"a": 5, "c": "CHF"}) == 5
    assert value("rate('CHF', 'CHF')") == 1


def test_a_missing_rate_names_the_pair_and_the_date() -> None:
    reason = failure("convert(a, 'EUR', 'USD', '2026-09-30')", {"a": Decimal("1.00")})
    assert reason == (
        "no exchange rate from EUR to USD on or before 2026-09-30 in the mapping's rates "
        "(its first rate is dated 2026-10-01): add one, then replay"
    )
    reason = failure("convert(a, c, 'USD', '2026-11-05')", {"a": Decimal("1.00"), "c": "CHF"})
    assert reason.startswith(
        "no exchange rate from CHF to USD on or before 2026-11-05 in the mapping's rates (the rates list: EUR->USD"
    )


def test_rate_and_rate_date_record_what_convert_used() -> None:
    record = {"c": "EUR", "d": "2026-11-20"}
    assert value("rate(c, 'USD', d)", record) == Decimal("1.0842")
    assert value("rate_date(c, 'USD', d)", record) == dt.date(2026, 11, 1)
    assert value("rate_date(c, 'USD', '2026-10-15')", record) == dt.date(2026, 10, 1)
    assert value("rate_date('USD', 'USD', d)", record) == dt.date(2026, 11, 20)


def test_nulls_give_null() -> None:
    assert value("convert(a, 'EUR', 'USD', d)", {"a": Decimal("1.00")}) is None
    assert value("convert(a, 'EUR', 'USD')") is None
    assert value("convert(a, c, 'USD')", {"a": Decimal("1.00")}) is None
    assert value("rate(c, 'USD')") is None


def test_bad_values_fail_the_record() -> None:
    assert "binary float" in failure("convert(a, 'EUR', 'USD')", {"a": 1.5})
    assert failure("convert(a, 'EUR', 'USD')", {"a": "12"}) == "convert() expects a number, got text '12'"
    assert "currency code" in failure("convert(a, c, 'USD')", {"a": 1, "c": "euro"})
    assert "expects a date" in failure("convert(a, 'EUR', 'USD', 'next week')", {"a": 1})


def test_money_rounds_to_the_minor_units() -> None:
    assert value("money(a, 'USD')", {"a": Decimal("2.345")}) == Decimal("2.35")
    assert value("money(a, 'JPY')", {"a": Decimal("2.5")}) == Decimal("3")
    assert value("money(a, 'KWD')", {"a": Decimal("2.3455")}) == Decimal("2.346")
    overridden = {"rows": ROWS, "minor_units": {"JPY": 2}}
    assert value("money(a, 'JPY')", {"a": Decimal("2.345")}, overridden) == Decimal("2.35")
    # money() works without rates: too.
    assert compile_mapping({"version": 1, "fields": {"o": "money(1.005, 'EUR')"}}).apply({})["o"] == Decimal("1.01")


def test_the_rates_are_checked_when_the_mapping_loads() -> None:
    rows = [
        {"from": "eur", "to": "USD", "rate": "1.08", "date": "2026-11-01"},
        {"from": "EUR", "to": "USD", "rate": "about one", "date": "2026-11-01"},
        {"from": "EUR", "to": "USD", "rate": "1.08", "date": "01/11/2026"},
        {"from": "EUR", "to": "USD", "rate": 0, "date": "2026-11-01"},
        {"from": "EUR", "rate": "1.08", "date": "2026-11-01"},
    ]
    found = " | ".join(problems({"rates": {"rows": rows}}))
    assert "three capital letters (EUR), got 'eur'" in found
    assert "a rate is a decimal number such as 1.0842, got text 'about one'" in found
    assert "ISO 8601 day such as 2026-11-01, got text '01/11/2026'" in found
    assert "a rate must be more than 0" in found
    assert "missing required key 'to'" in found


def test_a_pair_and_day_with_two_rates_is_a_problem() -> None:
    rows = [ROWS[0], {**ROWS[0], "rate": Decimal("1.09")}]
    assert problems({"rates": {"rows": rows}}) == [
        "rates.rows.1: EUR->USD on 2026-10-01 is listed twice (rows[0] and rows[1])"
    ]


def test_rate_functions_need_a_rates_section_and_a_known_literal_pair() -> None:
    found = problems({"fields": {"out": "convert(a, 'EUR', 'USD')"}})
    assert found == ["fields.out: convert() needs exchange rates, and this mapping has no `rates:` section"]
    found = problems({"rates": {"rows": ROWS}, "fields": {"out": "rate('EUR', 'CHF')"}})
    assert found == ["fields.out: rate(): the rates list no rate from EUR to CHF (nor from CHF to EUR)"]
    assert problems({"rates": {"rows": ROWS}, "fields": {"out": "convert(a, 'EURO', 'USD')"}}) == [
        "fields.out: convert(): 'EURO' is not a currency code"
    ]
    assert problems({"rates": {}}) == ["rates: give `rows`, a `file`, or both"]


def test_rates_from_a_csv_file_relative_to_the_project(tmp_path: Path) -> None:
    (tmp_path / "ferry.yaml").write_text("version: 1\n")
    (tmp_path / "rates").mkdir()
    (tmp_path / "rates" / "ecb.csv").write_text("from,to,rate,date,source\nEUR,USD,1.0842,2026-11-01,ECB\n\n")
    (tmp_path / "mappings").mkdir()
    path = tmp_path / "mappings" / "invoice.yaml"
    path.write_text(
        "version: 1\n"
        "rates:\n"
        "  file: rates/ecb.csv\n"
        "  rows:\n"
        "    - {from: GBP, to: EUR, rate: 1.15, date: 2026-11-01}\n"
        "fields:\n"
        "  USD: convert(amount, 'EUR', 'USD', '2026-11-02')\n"
        "  EUR: convert(amount, 'GBP', 'EUR', '2026-11-02')\n"
    )
    assert load(path).apply({"amount": Decimal("10.00")}) == {"USD": Decimal("10.84"), "EUR": Decimal("11.50")}


def test_a_missing_rate_names_the_file_to_add_it_to(tmp_path: Path) -> None:
    (tmp_path / "fx.csv").write_text("from,to,rate,date\nUSD,GBP,0.7905,2026-11-02\n")
    spec = {"version": 1, "rates": {"file": "fx.csv"}, "fields": {"out": "rate('USD', c, d)"}}
    mapping = compile_mapping(spec, root=tmp_path)
    assert mapping.apply({"c": "GBP", "d": "2026-11-30"}) == {"out": Decimal("0.7905")}
    with pytest.raises(ValidationError) as caught:
        mapping.apply({"c": "GBP", "d": "2026-11-01"})
    assert caught.value.field_errors["out"] == (
        "no exchange rate from USD to GBP on or before 2026-11-01 in fx.csv "
        "(its first rate is dated 2026-11-02): add one, then replay"
    )


def test_a_bad_csv_file_is_reported_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "fx.csv").write_text("from,to,rate,date\nEUR,USD,1.08,2026-11-01\nEUR,USD,1,08,2026-11-01\n")
    found = problems({"rates": {"file": "fx.csv"}}, root=tmp_path)
    assert found == ["date: a rate's date is an ISO 8601 day such as 2026-11-01, got text '08'"]
    with pytest.raises(ProblemsError) as caught:
        compile_mapping({"version": 1, "rates": {"file": "fx.csv"}, "fields": {"o": "1"}}, root=tmp_path)
    assert caught.value.problems[0].line == 3
    (tmp_path / "bad.csv").write_text("currency,rate\nEUR,1\n")
    assert problems({"rates": {"file": "bad.csv"}}, root=tmp_path) == [
        "the rates file needs the columns from, to, rate, date; missing: from, to, date"
    ]
    found = problems({"rates": {"file": "missing.csv"}}, root=tmp_path)
    assert found[0].startswith("rates.file: cannot read missing.csv")


def test_a_rate_added_to_the_file_is_used_without_loading_the_mapping_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ferry.mapping.ratefile.CHECK_SECONDS", 0.0)
    csv_file = tmp_path / "fx.csv"
    csv_file.write_text("from,to,rate,date\nUSD,GBP,0.7905,2026-11-02\n")
    spec = {"version": 1, "rates": {"file": "fx.csv"}, "fields": {"out": "rate('USD', c, d)"}}
    mapping = compile_mapping(spec, root=tmp_path)
    with pytest.raises(ValidationError):
        mapping.apply({"c": "GBP", "d": "2026-10-15"})
    csv_file.write_text("from,to,rate,date\nUSD,GBP,0.7905,2026-11-02\nUSD,GBP,0.8012,2026-10-12\n")
    assert mapping.apply({"c": "GBP", "d": "2026-10-15"}) == {"out": Decimal("0.8012")}
    # An edit that breaks the file is not used: the rates read before stay.
    csv_file.write_text("from,to,rate,date\nUSD,GBP,zero,2026-11-02\n")
    assert mapping.apply({"c": "GBP", "d": "2026-11-20"}) == {"out": Decimal("0.7905")}


def test_a_missing_rate_looks_at_the_file_again_at_once(tmp_path: Path) -> None:
    csv_file = tmp_path / "fx.csv"
    csv_file.write_text("from,to,rate,date\nUSD,GBP,0.7905,2026-11-02\n")
    spec = {"version": 1, "rates": {"file": "fx.csv"}, "fields": {"out": "rate('USD', c, d)"}}
    mapping = compile_mapping(spec, root=tmp_path)
    assert mapping.apply({"c": "GBP", "d": "2026-11-03"}) == {"out": Decimal("0.7905")}
    csv_file.write_text("from,to,rate,date\nUSD,GBP,0.7905,2026-11-02\nUSD,EUR,0.9188,2026-11-02\n")
    # Within a second of the last look, a found rate is not checked against the file; a missing one is.
    assert mapping.apply({"c": "EUR", "d": "2026-11-03"}) == {"out": Decimal("0.9188")}
