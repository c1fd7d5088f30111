"""Rate limits, and faults injected through the control surface."""

from __future__ import annotations

import httpx

from ferry.sandboxes.kit import ManualClock
from ferry.sandboxes.tims import TimsSandbox
from tests.sandboxes.tims.conftest import READONLY_KEY, client_for

HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")


async def test_every_answer_carries_the_rate_limit_headers(sandbox: TimsSandbox, client: httpx.AsyncClient) -> None:
    answers = [
        await client.get("/api/v1/customers"),
        await client.get("/api/v1/customers/1"),
        await client.post("/api/v1/customers", json={}),
        await client.put("/api/v1/customers"),
    ]
    async with client_for(sandbox, api_key=None) as anonymous:
        answers.append(await anonymous.get("/api/v1/customers"))
    assert [r.status_code for r in answers] == [200, 404, 400, 405, 401]
    assert all(all(h in r.headers for h in HEADERS) for r in answers)


async def test_remaining_counts_down_per_request(client: httpx.AsyncClient) -> None:
    first = await client.get("/api/v1/items")
    second = await client.get("/api/v1/items")
    assert first.headers["x-ratelimit-limit"] == "3000"
    assert int(first.headers["x-ratelimit-remaining"]) - int(second.headers["x-ratelimit-remaining"]) == 1


async def test_over_the_limit_is_429_with_retry_after(client: httpx.AsyncClient) -> None:
    await client.post("/_sandbox/faults", json={"rate_limit": {"requests": 3, "per_seconds": 30}})
    answers = [await client.get("/api/v1/items") for _ in range(4)]
    refused = answers[-1]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert 1 <= int(refused.headers["retry-after"]) <= 30
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert refused.headers["content-type"] == "application/problem+json"


async def test_the_window_reopens_after_it_resets(client: httpx.AsyncClient, clock: ManualClock) -> None:
    await client.post("/_sandbox/faults", json={"rate_limit": {"requests": 1, "per_seconds": 10}})
    await client.get("/api/v1/items")
    refused = await client.get("/api/v1/items")
    clock.advance(10)
    allowed = await client.get("/api/v1/items")
    assert (refused.status_code, allowed.status_code) == (429, 200)


async def test_each_key_has_its_own_budget(sandbox: TimsSandbox, client: httpx.AsyncClient) -> None:
    await client.post("/_sandbox/faults", json={"rate_limit": {"requests": 1, "per_seconds": 60}})
    await client.get("/api/v1/items")
    spent = await client.get("/api/v1/items")
    async with client_for(sandbox, api_key=READONLY_KEY) as other:
        fresh = await other.get("/api/v1/items")
    assert (spent.status_code, fresh.status_code) == (429, 200)


async def test_clearing_faults_restores_the_default_limit(client: httpx.AsyncClient) -> None:
    await client.post("/_sandbox/faults", json={"rate_limit": {"requests": 1, "per_seconds": 60}})
    await client.get("/api/v1/items")
    await client.delete("/_sandbox/faults")
    r = await client.get("/api/v1/items")
    assert r.status_code == 200
    assert r.headers["x-ratelimit-limit"] == "3000"


async def test_injected_errors_are_problem_json_with_retry_after(client: httpx.AsyncClient) -> None:
    await client.post("/_sandbox/faults", json={"error_next": 1, "error_status": 503})
    failed = await client.get("/api/v1/items")
    recovered = await client.get("/api/v1/items")
    assert failed.status_code == 503
    assert failed.headers["content-type"] == "application/problem+json"
    assert failed.json()["status"] == 503
    assert "retry-after" in failed.headers
    assert recovered.status_code == 200
