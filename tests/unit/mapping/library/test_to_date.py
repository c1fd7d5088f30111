import datetime as dt

from tests.unit.mapping.helpers import evaluate, failure


def test_date_from_iso_text() -> None:
    assert evaluate("date(a)", {"a": "2026-11-22"}) == dt.date(2026, 11, 22)


def test_date_of_a_datetime_text_takes_the_date() -> None:
    assert evaluate("date(a)", {"a": "2026-11-22T23:15:30Z"}) == dt.date(2026, 11, 22)


def test_date_with_a_pattern() -> None:
    assert evaluate("date(a, '%d/%m/%Y')", {"a": "22/11/2026"}) == dt.date(2026, 11, 22)


def test_date_that_does_not_match_fails_and_says_what_was_expected() -> None:
    assert failure("date(a, '%d/%m/%Y')", {"a": "2026-11-22"}) == (
        "date() cannot read '2026-11-22' as the pattern '%d/%m/%Y'"
    )


def test_datetime_with_z_is_utc() -> None:
    assert evaluate("datetime(a)", {"a": "2026-11-22T08:15:30.250Z"}) == dt.datetime(
        2026, 11, 22, 8, 15, 30, 250000, tzinfo=dt.UTC
    )


def test_datetime_keeps_an_offset() -> None:
    value = evaluate("datetime(a)", {"a": "2026-11-22T09:15:30+01:00"})
    assert value.utcoffset() == dt.timedelta(hours=1)


def test_datetime_without_a_zone_is_taken_as_utc() -> None:
    assert evaluate("datetime(a)", {"a": "2026-11-22T08:15:30"}).tzinfo is dt.UTC


def test_datetime_of_a_date_is_midnight_utc() -> None:
    assert evaluate("datetime(a)", {"a": dt.date(2026, 11, 22)}) == dt.datetime(2026, 11, 22, tzinfo=dt.UTC)


def test_dates_and_datetimes_of_null_are_null() -> None:
    assert (evaluate("date(a)", {}), evaluate("datetime(a)", {})) == (None, None)


def test_a_number_is_not_a_date() -> None:
    assert failure("date(a)", {"a": 20261122}) == "date() cannot convert number to a date"
