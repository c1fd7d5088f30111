"""`Idempotency-Key`: a retried POST returns the first answer and creates nothing."""

from __future__ import annotations

import httpx

from ferry.sandboxes.kit import ManualClock
from ferry.sandboxes.tims import TimsSandbox
from tests.sandboxes.tims.conftest import client_for

BODY = {"CompanyName": "Brewster Brewing Co.", "ExternalID": "shop-1001"}


async def count(client: httpx.AsyncClient) -> int:
    total: int = (await client.get("/api/v1/customers", params={"includeInactive": "true"})).json()["total"]
    return total


async def test_a_replay_returns_the_first_response_and_creates_nothing(client: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "7d1c0c3e-order-1"}
    first = await client.post("/api/v1/customers", json={"CompanyName": "Brewster Brewing Co."}, headers=headers)
    before = await count(client)
    again = await client.post("/api/v1/customers", json={"CompanyName": "Brewster Brewing Co."}, headers=headers)
    assert again.status_code == first.status_code == 201
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    assert await count(client) == before


async def test_a_replay_does_not_fail_on_the_duplicate_it_would_otherwise_be(client: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "k-2"}
    first = await client.post("/api/v1/customers", json=BODY, headers=headers)
    again = await client.post("/api/v1/customers", json=dict(reversed(BODY.items())), headers=headers)
    assert again.status_code == 201
    assert again.json()["CustomerID"] == first.json()["CustomerID"]


async def test_the_same_key_with_another_body_is_422(client: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "k-3"}
    await client.post("/api/v1/customers", json=BODY, headers=headers)
    r = await client.post("/api/v1/customers", json={**BODY, "ExternalID": "shop-1002"}, headers=headers)
    assert r.status_code == 422
    assert r.json()["type"].endswith("idempotency-key-reuse")


async def test_keys_belong_to_the_caller(sandbox: TimsSandbox, client: httpx.AsyncClient) -> None:
    token = (
        await client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "ferry-tims-client",
                "client_secret": "tims-sandbox-secret",
            },
        )
    ).json()["access_token"]
    headers = {"Idempotency-Key": "shared-key"}
    by_key = await client.post("/api/v1/customers", json={"CompanyName": "A"}, headers=headers)
    async with client_for(sandbox, api_key=None) as oauth:
        by_token = await oauth.post(
            "/api/v1/customers", json={"CompanyName": "A"}, headers={**headers, "Authorization": f"Bearer {token}"}
        )
    assert by_token.status_code == 201
    assert by_token.json()["CustomerID"] != by_key.json()["CustomerID"]


async def test_a_refused_request_is_not_remembered(client: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "k-4"}
    refused = await client.post(
        "/api/v1/sales-orders", json={"CustomerID": 1, "Lines": [{"SKU": "OX-40", "Quantity": 1}]}, headers=headers
    )
    customer = (await client.post("/api/v1/customers", json={"CompanyName": "B", "CreditLimit": "10000.00"})).json()
    retried = await client.post(
        "/api/v1/sales-orders",
        json={"CustomerID": customer["CustomerID"], "Lines": [{"SKU": "OX-40", "Quantity": 1}]},
        headers=headers,
    )
    assert refused.status_code == 422
    assert retried.status_code == 201


async def test_a_key_is_forgotten_after_24_hours(client: httpx.AsyncClient, clock: ManualClock) -> None:
    headers = {"Idempotency-Key": "k-5"}
    first = await client.post("/api/v1/customers", json={"CompanyName": "C"}, headers=headers)
    clock.advance(24 * 3600 + 1)
    later = await client.post("/api/v1/customers", json={"CompanyName": "C"}, headers=headers)
    assert later.status_code == 201
    assert later.json()["CustomerID"] != first.json()["CustomerID"]
