from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ferry.engine.causes import cause
from ferry.engine.store.base import DeadLetter
from ferry.engine.store.dead_letters import group

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def letter(n: int, error: str, *, sync: str = "customers", error_class: str = "ValidationError") -> DeadLetter:
    return DeadLetter(n, sync, "left", f"rec-{n}", error_class, error, None, 1, T0 + timedelta(minutes=n))


def test_ids_numbers_dates_emails_and_quoted_values_are_normalised_away() -> None:
    assert cause("TIMS refused customer 10042: Country 'Atlantis' is not an ISO code", "10042") == (
        "TIMS refused customer <id>: Country <value> is not an ISO code"
    )
    assert cause("order SO-00012 of 1250.50 USD on 2026-11-05T10:00:00Z for bob@x.test") == (
        "order <id> of <n> USD on <date> for <email>"
    )
    assert cause("account 3f2504e0-4f89-11d3-9a0c-0305e82c3301 not found") == "account <id> not found"


def test_names_with_digits_and_the_words_around_stay() -> None:
    text = "BillingAddress.Country is required, but country_code(address1_country) is null"
    assert cause(text) == text
    assert cause("C10042 was refused", "10042") == "<id> was refused"  # the id inside a code is the code


def test_letters_with_one_cause_form_one_group_largest_first() -> None:
    letters = [
        letter(1, "credit limit 5000 exceeds 1000 for customer 'Acme'"),
        letter(2, "Country 'Atlantis' is not an ISO code"),
        letter(3, "credit limit 7000 exceeds 1000 for customer 'Bolt'"),
        letter(4, "credit limit 7000 exceeds 1000 for customer 'Bolt'", sync="vendors"),
        letter(5, "credit limit 9000 exceeds 1000 for customer 'Core'", error_class="PermanentError"),
    ]
    groups = group(letters)
    assert [(g.sync, g.error_class, g.count, g.letter_ids) for g in groups] == [
        ("customers", "ValidationError", 2, (1, 3)),
        ("customers", "ValidationError", 1, (2,)),  # then by sync and cause
        ("customers", "PermanentError", 1, (5,)),
        ("vendors", "ValidationError", 1, (4,)),
    ]
    first = groups[0]
    assert first.cause == "credit limit <n> exceeds <n> for customer <value>"
    assert (first.first_at, first.last_at) == (T0 + timedelta(minutes=1), T0 + timedelta(minutes=3))
