"""Which waiting runs a system's change notice wakes."""

from __future__ import annotations

from ferry.core.records import ChangeNotice, Record
from ferry.engine.orchestration.watch import Watchers


def notice(entity: str, record_id: str, **data: object) -> ChangeNotice:
    return ChangeNotice(entity, record_id, record=Record(entity, record_id, dict(data)))


def test_a_run_waiting_on_several_matches_wakes_on_any_of_them_once() -> None:
    woken: list[set[int]] = []
    watchers = Watchers(woken.append)
    # One run waiting for the stock of two SKUs (a `for_each` wait), another for a third.
    watchers.match(1, "tims", "inventory", {"SKU": "A"})
    watchers.match(1, "tims", "inventory", {"SKU": "B"})
    watchers.match(2, "tims", "inventory", {"SKU": "C"})

    watchers.noticed("tims", [notice("inventory", "X/MAIN", SKU="X")])
    assert woken == []
    watchers.noticed("tims", [notice("inventory", "A/MAIN", SKU="A")])
    assert woken == [{1}]
    watchers.noticed("tims", [notice("inventory", "B/MAIN", SKU="B")])  # already woken: it looks again itself
    assert woken == [{1}]
    watchers.noticed("shop", [notice("inventory", "C/MAIN", SKU="C")])  # another connection's record
    watchers.noticed("tims", [notice("inventory", "C/MAIN", SKU="C")])
    assert woken == [{1}, {2}]
