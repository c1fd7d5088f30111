"""Both sides of a linked pair edited before ferry saw either change: the declared policy decides."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.e2e.conftest import Harness, Systems, polled

#: Dataverse's modifiedon has whole seconds: edits further apart than that have a clear order.
APART = 1.2


async def linked_pair(h: Harness) -> tuple[str, int]:
    await h.sync()
    customer = next(c for c in await h.customers() if c["ExternalID"])
    return customer["ExternalID"], customer["CustomerID"]


async def edit_both(h: Harness, account_id: str, customer_id: int, *, first: str) -> None:
    """Rename the account and the customer, `first` side first, the other a little later."""

    async def edit_account() -> None:
        r = await h.d365.patch(f"accounts({account_id})", json={"name": "Name From Dynamics"})
        assert r.status_code == 204, r.text

    async def edit_customer() -> None:
        r = await h.tims.patch(f"customers/{customer_id}", json={"CompanyName": "Name From TIMS"})
        assert r.status_code == 200, r.text

    edits = [edit_account, edit_customer] if first == "d365" else [edit_customer, edit_account]
    await edits[0]()
    await asyncio.sleep(APART)
    await edits[1]()


async def names(h: Harness, account_id: str, customer_id: int) -> tuple[str, str]:
    account = (await h.d365.get(f"accounts({account_id})", params={"$select": "name"})).json()
    customer = (await h.tims.get(f"customers/{customer_id}")).json()
    return account["name"], customer["CompanyName"]


@pytest.mark.parametrize(
    ("first", "kept"), [("d365", "Name From TIMS"), ("tims", "Name From Dynamics")], ids=["tims-newer", "d365-newer"]
)
async def test_newest_wins_keeps_the_later_edit_on_both_sides(
    tmp_path: Path, systems: Systems, first: str, kept: str
) -> None:
    async with polled(tmp_path / "p", systems, conflicts="{policy: newest_wins}") as h:
        account_id, customer_id = await linked_pair(h)
        await edit_both(h, account_id, customer_id, first=first)
        outcomes = await h.sync()
        assert await names(h, account_id, customer_id) == (kept, kept)
        assert outcomes.get("dead", 0) == 0
        assert (await h.sync()) == {}  # settled: nothing bounces


@pytest.mark.parametrize(
    ("winner", "kept"), [("left", "Name From Dynamics"), ("right", "Name From TIMS")], ids=["dynamics", "tims"]
)
async def test_a_system_of_record_wins_whichever_edit_came_last(
    tmp_path: Path, systems: Systems, winner: str, kept: str
) -> None:
    async with polled(tmp_path / "p", systems, conflicts=f"{{policy: system_of_record, winner: {winner}}}") as h:
        account_id, customer_id = await linked_pair(h)
        # The system of record's edit is the older one: newest-wins would have kept the other.
        await edit_both(h, account_id, customer_id, first="d365" if winner == "left" else "tims")
        await h.sync()
        assert await names(h, account_id, customer_id) == (kept, kept)
        assert (await h.sync()) == {}


async def test_review_holds_the_conflict_and_changes_neither_side(tmp_path: Path, systems: Systems) -> None:
    async with polled(tmp_path / "p", systems, conflicts="{policy: review}") as h:
        account_id, customer_id = await linked_pair(h)
        writes = await h.writes()
        await edit_both(h, account_id, customer_id, first="d365")
        outcomes = await h.sync()
        assert await names(h, account_id, customer_id) == ("Name From Dynamics", "Name From TIMS")
        assert await h.writes() - writes == 2  # the two people's edits; ferry wrote nothing
        assert outcomes.get("review", 0) >= 1
        [counts] = await h.assembly.store.counts()
        assert counts.reviews == 1  # one conflict, one decision to make
