"""Changes pushed by webhooks, with `ferry run`'s server on a real socket and no polling at all."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Harness, Systems, eventually, live

ACCOUNT = {
    "name": "Pushed Welding Supply",
    "customertypecode": 3,
    "emailaddress1": "orders@pushed-welding.example",
    "telephone1": "+1 512 555 0100",
    "address1_line1": "12 Foundry Road",
    "address1_city": "Austin",
    "address1_stateorprovince": "TX",
    "address1_postalcode": "78701",
    "address1_country": "United States",
}
CUSTOMER = {
    "CompanyName": "Webhook Gas & Gear",
    "FirstName": "Rosa",
    "LastName": "Delgado",
    "Email": "rosa@webhook-gas.example",
    "Currency": "USD",
    "BillingAddress": {
        "Line1": "400 Cylinder Way",
        "City": "Tulsa",
        "State": "OK",
        "PostalCode": "74103",
        "Country": "US",
    },
}


async def customer_linked_to(h: Harness, account_id: str) -> dict[str, Any] | None:
    found = (await h.tims.get("customers", params={"ExternalID": account_id})).json()["data"]
    return found[0] if found else None


def polled(h: Harness) -> int:
    return sum(p.seen for p in h.engine.pollers)


async def test_the_server_subscribes_to_both_systems(tmp_path: Path, systems: Systems) -> None:
    async with live(tmp_path / "p", systems, poll_seconds=None) as h:
        assert h.runner is not None
        assert set(h.runner.subscriptions) == {"d365", "tims"}
        hooks = (await h.tims.get("webhooks")).json()["data"]
        assert [w["url"] for w in hooks] == [f"{h.runner.listen.url}/hooks/tims"]
        endpoints = (await h.d365.get("serviceendpoints", params={"$select": "url"})).json()["value"]
        assert f"{h.runner.listen.url}/hooks/d365" in [e["url"] for e in endpoints]


async def test_an_account_created_in_dynamics_arrives_in_tims_without_a_poll(tmp_path: Path, systems: Systems) -> None:
    async with live(tmp_path / "p", systems, poll_seconds=None) as h:
        made = await h.d365.post("accounts", json=ACCOUNT, headers={"Prefer": "return=representation"})
        assert made.status_code == 201, made.text
        account_id = made.json()["accountid"]

        customer = await eventually(lambda: customer_linked_to(h, account_id), within=20)

        assert customer["CompanyName"] == ACCOUNT["name"]
        assert customer["BillingAddress"]["Country"] == "US"
        assert polled(h) == 0  # nothing was read by polling: the webhook brought it
        assert h.engine.receiver.received >= 1


async def test_a_customer_created_in_tims_arrives_in_dynamics_without_a_poll(tmp_path: Path, systems: Systems) -> None:
    async with live(tmp_path / "p", systems, poll_seconds=None) as h:
        made = await h.tims.post("customers", json=CUSTOMER)
        assert made.status_code == 201, made.text
        customer_id = made.json()["CustomerID"]

        async def linked() -> str | None:
            row = (await h.tims.get(f"customers/{customer_id}")).json()
            return row["ExternalID"] or None  # ferry writes the new account's id back into TIMS

        account_id = await eventually(linked, within=20)
        account = (
            await h.d365.get(f"accounts({account_id})", params={"$expand": "primarycontactid($select=lastname)"})
        ).json()
        assert account["name"] == CUSTOMER["CompanyName"]
        assert account["primarycontactid"]["lastname"] == "Delgado"
        assert account["customertypecode"] == 3
        assert polled(h) == 0


async def test_a_webhook_with_a_wrong_signature_or_secret_is_refused_and_logged_without_the_secret(
    tmp_path: Path, systems: Systems, caplog: pytest.LogCaptureFixture
) -> None:
    async with live(tmp_path / "p", systems, poll_seconds=None) as h:
        assert h.runner is not None
        url = h.runner.listen.url
        secrets = h.assembly.webhook_secrets
        body = json.dumps(
            {
                "id": "evt_forged",
                "event": "customer.updated",
                "occurredAt": "2026-11-22T08:00:00.000Z",
                "resource": {"collection": "customers", "id": 10001, "version": 9},
                "data": {"CustomerID": 10001},
            }
        ).encode()
        stamp = str(int(time.time()))
        forged = "sha256=" + hmac.new(b"not-the-secret", f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
        with caplog.at_level(logging.WARNING, logger="ferry.intake"):
            tims = await h.control["tims"].post(
                f"{url}/hooks/tims",
                content=body,
                headers={"X-TIMS-Timestamp": stamp, "X-TIMS-Signature": forged, "Content-Type": "application/json"},
            )
            d365 = await h.control["d365"].post(
                f"{url}/hooks/d365",
                content=b'{"MessageName": "Update", "PrimaryEntityName": "account",'
                b' "PrimaryEntityId": "00000000-0000-0000-0000-000000000001"}',
                headers={"x-ferry-webhook-secret": "guessed-secret", "Content-Type": "application/json"},
            )
        assert tims.status_code == 401
        assert d365.status_code == 401
        assert h.engine.receiver.refused == 2
        counts = await h.assembly.store.counts()
        assert sum(c.pending + c.in_flight + c.done for c in counts) == 0  # nothing was enqueued
        refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
        assert len(refusals) == 2
        for line in refusals:
            for secret in (*secrets.values(), "guessed-secret", forged):
                assert secret not in line
