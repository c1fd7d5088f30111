"""The template mappings' payloads are accepted by the sandboxes, which speak the real wire protocols."""

from __future__ import annotations

from pathlib import Path

import httpx

from ferry.core import jsoncodec
from ferry.mapping import load
from ferry.sandboxes.dynamics365 import Dynamics365Sandbox
from ferry.sandboxes.kit import ManualClock
from ferry.sandboxes.tims import TimsSandbox
from tests.unit.mapping.samples import ACCOUNTS, CUSTOMERS

MAPPINGS = Path(__file__).parents[3] / "src" / "ferry" / "project" / "templates" / "dynamics365-tims" / "mappings"
JSON = {"Content-Type": "application/json"}


async def test_tims_creates_a_customer_from_every_sample_account() -> None:
    mapping = load(MAPPINGS / "account-to-customer.yaml")
    sandbox = TimsSandbox(clock=ManualClock(), sizes={"customers": 1, "vendors": 1, "sales-orders": 0})
    transport = httpx.ASGITransport(app=sandbox)
    headers = {"X-API-Key": "tims-sandbox-key"}
    async with httpx.AsyncClient(transport=transport, base_url=sandbox.base_url, headers=headers) as tims:
        for name, account in ACCOUNTS.items():
            payload = mapping.apply(account, context={"source_id": account["accountid"]}, creating=True)
            response = await tims.post("/api/v1/customers", content=jsoncodec.dumps(payload), headers=JSON)
            assert response.status_code == 201, (name, response.text)
            assert response.json()["ExternalID"] == account["accountid"]
    await sandbox.aclose()


async def test_dataverse_creates_an_account_and_its_contact_from_every_sample_customer() -> None:
    mapping = load(MAPPINGS / "customer-to-account.yaml")
    base = "http://dataverse.test"
    sandbox = Dynamics365Sandbox(base_url=base, clock=ManualClock(), sizes={"accounts": 2, "salesorders": 0})
    creds = sandbox.credentials()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox), base_url=base) as client:
        token = await client.post(
            f"/{creds['tenant_id']}/oauth2/v2.0/token",
            data={"grant_type": "client_credentials", "scope": creds["scope"]}
            | {k: creds[k] for k in ("client_id", "client_secret")},
        )
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        for name, customer in CUSTOMERS.items():
            # A person the seeded environment does not know yet (contacts are unique by email).
            email = customer["Email"].replace("@", ".new@")
            payload = mapping.apply({**customer, "Email": email}, creating=True)
            response = await client.post("/api/data/v9.2/accounts", content=jsoncodec.dumps(payload), headers=JSON)
            assert response.status_code == 204, (name, response.text)
            url = response.headers["OData-EntityId"] + "?$expand=primarycontactid($select=lastname)"
            created = (await client.get(url)).json()
            assert created["name"] == payload["name"]
            contact = created["primarycontactid"]
            assert (contact or {}).get("lastname") == customer["LastName"]
