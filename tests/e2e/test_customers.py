"""Dynamics 365 accounts and TIMS customers, both ways, through the real connectors and sandboxes."""

from __future__ import annotations

from tests.e2e.conftest import Harness


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
