"""Reconciliation over real HTTP: drift made behind ferry's back is found exactly, healed, and gone.

The project relies on webhooks alone (no polling), so a change made while ferry is not running, or made
without a notice, stays unseen until a reconciliation compares the two systems.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from ferry.access import AccessStore
from ferry.engine.reconcile import Reconciler
from tests.e2e.conftest import (
    Harness,
    Systems,
    clients,
    eventually,
    ferry,
    ferry_beside,
    live,
    polled,
    quiet,
    without_history,
)

NEW_ACCOUNT = {
    "name": "Unseen Torch Supply",
    "customertypecode": 3,
    "emailaddress1": "orders@unseen-torch.example",
    "address1_line1": "9 Arc Street",
    "address1_city": "Dayton",
    "address1_country": "United States",
}


async def report(api: httpx.AsyncClient, report_id: int) -> dict[str, Any] | None:
    found = (await api.get(f"/api/reconciliations/{report_id}")).json()
    return found if found["state"] != "running" else None


async def test_drift_made_behind_ferrys_back_is_reported_exactly_then_healed_to_none(tmp_path: Path) -> None:
    root = tmp_path / "project"
    with without_history() as systems:
        async with polled(root, systems, poll_seconds=None) as h:  # the first run: every record paired
            await h.sync()
        d365, tims, control = await clients(systems)
        try:
            # While ferry is not running: a field edited in TIMS, an account deleted, an account created.
            customer = next(c for c in (await tims.get("customers")).json()["data"] if c["ExternalID"])
            edited = await tims.patch(f"customers/{customer['CustomerID']}", json={"CompanyName": "Renamed Behind"})
            assert edited.status_code == 200, edited.text
            accounts = (await d365.get("accounts", params={"$filter": "customertypecode eq 3"})).json()["value"]
            doomed = next(a for a in accounts if a["accountid"] != customer["ExternalID"])
            assert (await d365.delete(f"accounts({doomed['accountid']})")).status_code == 204
            orphaned = (await tims.get("customers", params={"ExternalID": doomed["accountid"]})).json()["data"][0]
            made = await d365.post("accounts", json=NEW_ACCOUNT, headers={"Prefer": "return=representation"})
            assert made.status_code == 201, made.text
            new_account = made.json()["accountid"]
        finally:
            for client in (d365, tims, *control.values()):
                await client.aclose()

        found = ferry("reconcile", str(root), "customers", "--json")
        assert found.returncode == 0, found.stderr
        first = json.loads(found.stdout)
        drift = {(i["kind"], i["left_id"], i["right_id"], i["source"]) for i in first["items"]}
        assert drift == {
            ("different", customer["ExternalID"], str(customer["CustomerID"]), "right"),
            ("missing_left", doomed["accountid"], str(orphaned["CustomerID"]), "right"),
            ("missing_right", new_account, None, "left"),
        }
        [different] = [i for i in first["items"] if i["kind"] == "different"]
        assert [(f["field"], f["want"], f["have"]) for f in different["fields"]] == [
            ("name", "Renamed Behind", customer["CompanyName"])
        ]
        assert first["counts"]["pairs"] == first["counts"]["left"] - 1  # the new account has no pair yet
        assert first["drift"] == 3 and first["state"] == "done"

        async with live(root, systems, poll_seconds=None) as h:
            assert h.runner is not None
            people = AccessStore(h.assembly.store)
            await people.add_user("ops", "operator", "a-long-password")
            token = {"Authorization": f"Bearer {await people.issue_token('ops', 'reconcile test')}"}
            async with httpx.AsyncClient(base_url=h.runner.listen.url, headers=token, timeout=60) as api:
                healed = await api.post(f"/api/reconciliations/{first['id']}/heal")
                assert healed.status_code == 200, healed.text
                assert (healed.json()["queued"], healed.json()["cannot_fix"]) == (3, 0)
                again = (await api.post(f"/api/reconciliations/{first['id']}/heal")).json()
                assert (again["queued"], again["already_queued"]) == (0, 3)  # healing twice changes nothing
                await quiet(h)
                await _assert_healed(h, customer, new_account, orphaned)

                started = await api.post("/api/reconciliations", json={"sync": "customers"})
                assert started.status_code == 202, started.text
                second = await eventually(lambda: report(api, started.json()["id"]), within=60)
                assert second["state"] == "done" and second["drift"] == 0, second["items"]
                assert second["items"] == []
                listed = (await api.get("/api/reconciliations")).json()
                assert listed["latest"]["customers"]["id"] == second["id"]
                assert [r["id"] for r in listed["recent"]] == [second["id"], first["id"]]

            # Beside a running ferry, the command shares its store: its report is the newest.
            shown = await ferry_beside("reconcile", str(root), "customers")
            assert shown.returncode == 0, shown.stderr
            assert f"reconciliation {second['id'] + 1} of customers" in shown.stdout
            assert "No drift: both systems agree." in shown.stdout


async def _assert_healed(h: Harness, customer: dict[str, Any], new_account: str, orphaned: dict[str, Any]) -> None:
    """Each fix went through the engine: the edit reached Dynamics, the new account reached TIMS, and the
    customer whose account was deleted has an account again."""
    account = (await h.d365.get(f"accounts({customer['ExternalID']})", params={"$select": "name"})).json()
    assert account["name"] == "Renamed Behind"
    assert (await h.tims.get("customers", params={"ExternalID": new_account})).json()["data"]
    relinked = (await h.tims.get(f"customers/{orphaned['CustomerID']}")).json()["ExternalID"]
    assert relinked and (await h.d365.get(f"accounts({relinked})")).status_code == 200


async def test_a_one_way_syncs_target_records_of_its_own_are_reported_as_not_fixable(
    tmp_path: Path, systems: Systems
) -> None:
    syncs = ("vendors", "products", "purchase-orders")
    async with polled(tmp_path / "p", systems, syncs=syncs) as h:  # Dynamics purchase orders into TIMS only
        await h.sync()
        reconciler = Reconciler(h.assembly.store, h.engine.syncs, h.assembly.connectors, processor=h.engine.processor)
        report = await reconciler.run("purchase-orders")
        items, _ = await h.assembly.store.reconciliations.items(report.id)
        summary = await reconciler.heal(report.id)

        orders = (await h.tims.get("purchase-orders", params={"pageSize": "500"})).json()["data"]
        own = {str(o["PurchaseOrderID"]) for o in orders if not o["ExternalID"]}  # typed into TIMS itself
        assert own and {(i.kind, i.source) for i in items} == {("missing_left", "right")}
        assert {i.right_id for i in items} == own
        assert report.counts["pairs"] == report.counts["left"] == len(orders) - len(own)
        assert (summary.queued, summary.cannot_fix) == (0, len(own))
        assert await h.sync() == {}  # nothing was queued
