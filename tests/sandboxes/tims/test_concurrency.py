"""Concurrent requests see and leave whole changes only."""

from __future__ import annotations

import asyncio

import httpx

from tests.sandboxes.tims.conftest import new_customer


async def test_concurrent_patches_each_get_their_own_version(client: httpx.AsyncClient) -> None:
    customer = await new_customer(client)
    url = f"/api/v1/customers/{customer['CustomerID']}"
    answers = await asyncio.gather(*(client.patch(url, json={"Phone": f"555-{n:04d}"}) for n in range(40)))
    final = (await client.get(url)).json()
    versions = sorted(r.json()["Version"] for r in answers)
    assert [r.status_code for r in answers] == [200] * 40
    assert versions == list(range(2, 42))
    assert final["Version"] == 41


async def test_concurrent_conditional_patches_let_exactly_one_win(client: httpx.AsyncClient) -> None:
    customer = await new_customer(client)
    url = f"/api/v1/customers/{customer['CustomerID']}"
    answers = await asyncio.gather(
        *(client.patch(url, json={"Phone": str(n)}, headers={"If-Match": '"1"'}) for n in range(20))
    )
    assert sorted(r.status_code for r in answers) == [200] + [412] * 19


async def test_concurrent_creates_with_one_external_id_create_one_record(client: httpx.AsyncClient) -> None:
    answers = await asyncio.gather(
        *(
            client.post("/api/v1/customers", json={"CompanyName": f"Race {n}", "ExternalID": "race-1"})
            for n in range(20)
        )
    )
    listed = (await client.get("/api/v1/customers", params={"ExternalID": "race-1"})).json()
    assert sorted(r.status_code for r in answers) == [201] + [409] * 19
    assert listed["total"] == 1
