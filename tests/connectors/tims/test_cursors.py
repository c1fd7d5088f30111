"""The cursor's encoding and the page windows used inside a group of records sharing one ModifiedAt."""

from __future__ import annotations

import pytest

from ferry.connectors.tims.cursors import TimsCursor, window
from ferry.core.errors import PermanentError


@pytest.mark.parametrize("page_size", [1, 2, 3, 7, 200, 500])
def test_every_window_overlaps_what_was_seen_and_reaches_past_it(page_size: int) -> None:
    for seen in range(1, 2000):
        page, size = window(seen, page_size)
        offset = (page - 1) * size
        assert offset < seen < offset + size, (seen, page, size)
        assert 1 <= size <= 500


def test_a_fresh_read_starts_at_the_first_page_of_the_asked_size() -> None:
    assert window(0, 50) == (1, 50)


def test_a_size_dividing_the_seen_count_is_replaced_by_the_best_smaller_one() -> None:
    # 200 seen with pages of 200 would reread them all; pages of 199 from offset 199 give 198 new.
    assert window(200, 200) == (2, 199)


def test_a_cursor_round_trips_through_its_text() -> None:
    cursor = TimsCursor("2026-11-22T08:15:30.250Z", frozenset({"10007", "10012"}))

    assert TimsCursor.decode(cursor.encode()) == cursor
    assert TimsCursor.decode(None) is None


@pytest.mark.parametrize("text", ["", "[]", '{"v":2,"modifiedAt":"2026-11-22T08:15:30Z","seen":[]}', '{"v":1}'])
def test_a_foreign_cursor_is_refused(text: str) -> None:
    with pytest.raises(PermanentError, match="reset the sync's cursor"):
        TimsCursor.decode(text)


def test_moving_on_keeps_only_the_ids_at_the_new_last_time() -> None:
    cursor = TimsCursor("2026-11-22T08:00:00.000Z", frozenset({"1"}))
    rows = [
        {"CustomerID": 1, "ModifiedAt": "2026-11-22T08:00:00.000Z"},
        {"CustomerID": 2, "ModifiedAt": "2026-11-22T08:00:00.000Z"},
        {"CustomerID": 3, "ModifiedAt": "2026-11-22T08:00:01.000Z"},
        {"CustomerID": 4, "ModifiedAt": "2026-11-22T08:00:01.000Z"},
    ]

    assert cursor.after("customers", rows[:2]) == TimsCursor(cursor.modified_at, frozenset({"1", "2"}))
    assert cursor.after("customers", rows) == TimsCursor("2026-11-22T08:00:01.000Z", frozenset({"3", "4"}))
