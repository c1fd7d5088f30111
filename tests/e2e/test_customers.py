"""Dynamics 365 accounts and TIMS customers, both ways, through the real connectors and sandboxes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.conftest import Harness, Systems, eventually, live, polled


async def test_initial_load_pairs_existing_records_and_creates_the_rest(harness: Harness) -> None:
    accounts = await harness.accounts()
    customers = await harness.customers()
    twin = next(a for a in accounts if a["emailaddress1"])
    made = await harness.tims.post(
        "customers", json={"CompanyName": twin["name"].strip(), "Email": twin["emailaddress1"], "Currency": "USD"}
    )
    assert made.status_code == 201, made.text

    outcomes = await harness.sync()

    accounts_after = await harness.accounts()
    customers_after = await harness.customers()
    by_external = {c["ExternalID"]: c for c in customers_after if c["ExternalID"]}
    assert {a["accountid"] for a in accounts_after} <= set(by_external)  # every account has its TIMS customer
    assert by_external[twin["accountid"]]["CustomerID"] == made.json()["CustomerID"]  # matched, not duplicated
    assert len(customers_after) == len(customers) + 1 + len(accounts) - 1
    assert len(accounts_after) == len(accounts) + len(customers)  # every TIMS customer became an account
    links = await harness.assembly.store.links("customers")
    assert len(links) == len(accounts_after)
    assert outcomes.get("dead", 0) == 0


async def test_an_account_edit_reaches_tims_and_settles(harness: Harness) -> None:
    await harness.sync()
    account = (await harness.accounts())[0]
    r = await harness.d365.patch(f"accounts({account['accountid']})", json={"name": "Harbor Fabrication LLC"})
    assert r.status_code == 204
    writes_before = await harness.writes()
    outcomes = await harness.sync()
    [customer] = [c for c in await harness.customers() if c["ExternalID"] == account["accountid"]]
    assert customer["CompanyName"] == "Harbor Fabrication LLC"
    assert outcomes.get("updated") == 1
    assert await harness.writes() - writes_before == 1  # one write to TIMS, nothing bounced back
    assert (await harness.sync()) == {}  # settled


async def test_a_customer_edit_reaches_dynamics(harness: Harness) -> None:
    await harness.sync()
    customer = next(c for c in await harness.customers() if c["ExternalID"])
    r = await harness.tims.patch(f"customers/{customer['CustomerID']}", json={"CompanyName": "Renamed Welding LLC"})
    assert r.status_code == 200
    await harness.sync()
    account = (await harness.d365.get(f"accounts({customer['ExternalID']})", params={"$select": "name"})).json()
    assert account["name"] == "Renamed Welding LLC"


async def test_a_deleted_account_deactivates_its_customer(harness: Harness) -> None:
    await harness.sync()
    account = next(a for a in await harness.accounts())
    assert (await harness.d365.delete(f"accounts({account['accountid']})")).status_code in (204, 405)
    if (await harness.d365.get(f"accounts({account['accountid']})")).status_code != 404:
        return  # the account had orders and could not be deleted; nothing to propagate
    await harness.sync()
    [customer] = [c for c in await harness.customers(include_inactive=True) if c["ExternalID"] == account["accountid"]]
    assert customer["Status"] == "Inactive"


async def test_a_first_run_pairs_what_exists_through_its_read_then_asks_the_systems(
    tmp_path: Path, systems: Systems
) -> None:
    async with polled(tmp_path / "seed", systems) as seed:  # only to reach the systems' APIs
        twin = next(a for a in await seed.accounts() if a["emailaddress1"])
        typed = {"CompanyName": twin["name"], "Email": twin["emailaddress1"].upper(), "Currency": "USD"}
        made = (await seed.tims.post("customers", json=typed)).json()

    async with live(tmp_path / "project", systems) as h:
        # `ferry run` on a project that never ran reads both sides whole before settling anything.
        assert {p.side for p in h.engine.pollers if p.seen} == {"left", "right"}
        assert h.engine.processor.indexes  # ...and pairs the records through those reads

        async def linked() -> dict[str, Any] | None:
            found = (await h.tims.get("customers", params={"ExternalID": twin["accountid"]})).json()["data"]
            return found[0] if found and not h.engine.processor.indexes else None

        customer = await eventually(linked, within=60)
        assert customer["CustomerID"] == made["CustomerID"]  # the customer typed in TIMS, not a new one
