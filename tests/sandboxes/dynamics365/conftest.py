from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from ferry.sandboxes.dynamics365 import Dynamics365Sandbox
from ferry.sandboxes.kit import ManualClock

BASE = "http://dataverse.test"
API = f"{BASE}/api/data/v9.2"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sandbox(clock: ManualClock) -> Dynamics365Sandbox:
    return Dynamics365Sandbox(base_url=BASE, clock=clock, sizes={"accounts": 40, "salesorders": 12})


async def fetch_token(client: httpx.AsyncClient, sandbox: Dynamics365Sandbox) -> str:
    creds = sandbox.credentials()
    response = await client.post(
        f"{BASE}/{creds['tenant_id']}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
            "scope": creds["scope"],
        },
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@pytest.fixture
async def anon(sandbox: Dynamics365Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox), base_url=BASE) as client:
        yield client


@pytest.fixture
async def api(sandbox: Dynamics365Sandbox, anon: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    token = await fetch_token(anon, sandbox)
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/json",
        "OData-MaxVersion": "4.0",
        "OData-Version": "4.0",
    }
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox), base_url=f"{API}/", headers=headers
    ) as client:
        yield client
