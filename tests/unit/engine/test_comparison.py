from __future__ import annotations

from datetime import UTC, datetime

from ferry.engine.comparison import compare, decide, writes
from ferry.engine.spec import SideSpec, SyncSpec
from ferry.engine.store.reviews import Review
from tests.unit.engine.fakes import Rename

ONE_WAY = SyncSpec(
    "orders",
    SideSpec("crm", "orders"),
    SideSpec("erp", "orders"),
    maps={"left": Rename("l2r", {"number": "OrderNo", "lines": "Lines"})},
    direction="left_to_right",
)


def review(mapped: dict[str, object] | None = None) -> Review:
    return Review(
        7,
        "orders",
        "left",
        "L1",
        "both sides changed since the last sync",
        left={"number": "SO-1", "lines": [{"sku": "A", "qty": 2}]},
        right={"OrderNo": "SO-1b", "Lines": [{"sku": "A", "qty": 2, "LineID": 501}], "Status": "Open"},
        left_id="L1",
        right_id="R1",
        created_at=datetime(2026, 12, 1, tzinfo=UTC),
        state="open",
        mapped=mapped,
    )


def test_lines_compare_on_the_fields_the_mapping_writes_and_unwritten_fields_are_left_out() -> None:
    comparison = compare(ONE_WAY, review())
    rows = {r.field: r for r in comparison.rows}
    assert set(rows) == {"OrderNo", "Lines"}  # Status is not written by the mapping: no conflict there
    assert not rows["Lines"].differs  # the ERP's own LineID is not a difference
    assert rows["OrderNo"].differs and (rows["OrderNo"].left, rows["OrderNo"].right) == ("SO-1", "SO-1b")


def test_the_engines_mapping_is_what_is_compared_when_it_kept_one() -> None:
    kept = {"side": "left", "payload": {"OrderNo": "SO-1b", "Lines": [{"sku": "A", "qty": 3}]}}
    comparison = compare(ONE_WAY, review(kept))
    assert comparison.differing == ["Lines"]


def test_a_one_way_sync_writes_only_its_target_and_says_so() -> None:
    comparison = compare(ONE_WAY, review())
    chosen = decide(comparison, {"OrderNo": "right"})
    assert chosen == {"OrderNo": "SO-1b"}
    queued, notes = writes(ONE_WAY, review(), comparison, chosen, by="ops")
    assert queued == []  # the right already holds the chosen value; the left cannot be written
    assert notes == ["the left side is not written: sync 'orders' does not write to it"]
    queued, notes = writes(ONE_WAY, review(), comparison, decide(comparison, {"OrderNo": "left"}), by="ops")
    [(event, edit)] = queued
    assert (event.side, event.record_id, event.source) == ("left", "L1", "review")
    assert edit.target_values == {"OrderNo": "SO-1"} and edit.review == 7 and edit.by == "ops"
    assert edit.changes == {"OrderNo": {"before": "SO-1b", "after": "SO-1"}}
