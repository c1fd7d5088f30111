"""One edit by a person causes one write on the other side, and the echo of that write stops there."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import Harness, Systems, eventually, live, quiet


async def _linked_pair(h: Harness) -> tuple[str, int]:
    await h.sync()  # the first load links every account to a customer
    await quiet(h)
    customer = next(c for c in await h.customers() if c["ExternalID"])
    return customer["ExternalID"], customer["CustomerID"]


async def test_an_account_edit_causes_one_write_to_tims_and_no_ping_pong(tmp_path: Path, systems: Systems) -> None:
    async with live(tmp_path / "p", systems, poll_seconds=None) as h:
        account_id, customer_id = await _linked_pair(h)
        before, outcomes = await h.writes(), dict(h.engine.processor.outcomes)

        r = await h.d365.patch(f"accounts({account_id})", json={"name": "Settled Fabrication LLC"})
        assert r.status_code == 204

        async def arrived() -> bool:
            return (await h.tims.get(f"customers/{customer_id}")).json()["CompanyName"] == "Settled Fabrication LLC"

        await eventually(arrived, within=20)
        await quiet(h, calm=1.0)
        assert await h.writes() - before == 2  # the person's edit, and ferry's one write to TIMS
        after = h.engine.processor.outcomes
        assert after.get("updated", 0) - outcomes.get("updated", 0) == 1
        assert after.get("echo", 0) - outcomes.get("echo", 0) >= 1  # TIMS told ferry of its own write


async def test_a_customer_edit_causes_one_write_to_dynamics_and_no_ping_pong(tmp_path: Path, systems: Systems) -> None:
    async with live(tmp_path / "p", systems, poll_seconds=None) as h:
        account_id, customer_id = await _linked_pair(h)
        before, outcomes = await h.writes(), dict(h.engine.processor.outcomes)

        r = await h.tims.patch(
            f"customers/{customer_id}", json={"CompanyName": "Echo Free Welding", "Phone": "555-0199"}
        )
        assert r.status_code == 200

        async def arrived() -> bool:
            row = (await h.d365.get(f"accounts({account_id})", params={"$select": "name"})).json()
            return row["name"] == "Echo Free Welding"

        await eventually(arrived, within=20)
        await quiet(h, calm=1.0)
        assert await h.writes() - before == 2  # the person's edit, and ferry's one $batch to Dataverse
        after = h.engine.processor.outcomes
        assert after.get("updated", 0) - outcomes.get("updated", 0) == 1
        assert after.get("echo", 0) - outcomes.get("echo", 0) >= 1
