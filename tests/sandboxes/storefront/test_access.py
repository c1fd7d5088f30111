from __future__ import annotations

import httpx
import pytest

from ferry.sandboxes.storefront import StorefrontSandbox
from tests.sandboxes.storefront.conftest import API, client_for

INVALID = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}


@pytest.mark.parametrize("token", [None, "shpat_wrong"])
async def test_missing_or_wrong_token_is_401(sandbox: StorefrontSandbox, token: str | None) -> None:
    async with client_for(sandbox, token) as client:
        r = await client.get(f"{API}/orders.json")
    assert r.status_code == 401
    assert r.json() == INVALID


async def test_expire_tokens_fault_refuses_the_real_token(sandbox: StorefrontSandbox, api: httpx.AsyncClient) -> None:
    await api.post("/_sandbox/faults", json={"expire_tokens": True})
    refused = await api.get(f"{API}/shop.json")
    await api.delete("/_sandbox/faults")
    assert refused.status_code == 401
    assert (await api.get(f"{API}/shop.json")).status_code == 200


async def test_draining_the_bucket_gives_429_with_retry_after(api: httpx.AsyncClient) -> None:
    # The sandbox clock stands still, so the bucket does not leak during the test.
    limits = [(await api.get(f"{API}/shop.json")).headers["x-shopify-shop-api-call-limit"] for _ in range(40)]
    refused = await api.get(f"{API}/shop.json")
    assert limits[0] == "1/40" and limits[-1] == "40/40"
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "2.0"
    assert refused.json()["errors"].startswith("Exceeded 2 calls per second for api client.")


async def test_the_bucket_leaks_two_requests_a_second(sandbox: StorefrontSandbox, api: httpx.AsyncClient) -> None:
    for _ in range(40):
        await api.get(f"{API}/shop.json")
    sandbox.clock.advance(1.0)  # type: ignore[attr-defined]
    statuses = [(await api.get(f"{API}/shop.json")).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


async def test_rate_limit_fault_reshapes_the_bucket_until_cleared(api: httpx.AsyncClient) -> None:
    await api.post("/_sandbox/faults", json={"rate_limit": {"requests": 3, "per_seconds": 3}})
    statuses = [(await api.get(f"{API}/shop.json")).status_code for _ in range(4)]
    await api.delete("/_sandbox/faults")
    restored = await api.get(f"{API}/shop.json")
    assert statuses == [200, 200, 200, 429]
    assert restored.headers["x-shopify-shop-api-call-limit"] == "1/40"


async def test_unknown_version_is_404_and_a_retired_one_falls_forward(api: httpx.AsyncClient) -> None:
    unknown = await api.get("/admin/api/2025-13/shop.json")
    retired = await api.get("/admin/api/2023-04/shop.json")
    assert unknown.status_code == 404
    assert unknown.json() == {"errors": "Not Found"}
    assert retired.status_code == 200
    assert retired.headers["x-shopify-api-version"] == "2025-01"


async def test_non_json_requests_are_refused(api: httpx.AsyncClient) -> None:
    xml = await api.get(f"{API}/shop.json", headers={"Accept": "application/xml"})
    text = await api.post(f"{API}/customers.json", content=b"first_name=Al", headers={"Content-Type": "text/plain"})
    assert xml.status_code == 406
    assert text.status_code == 415


async def test_an_oversized_body_is_413(api: httpx.AsyncClient) -> None:
    r = await api.post(
        f"{API}/customers.json", content=b" " * (6 * 1024 * 1024), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413


async def test_injected_5xx_uses_shopifys_error_shape(api: httpx.AsyncClient) -> None:
    await api.post("/_sandbox/faults", json={"error_next": 1, "error_status": 503})
    r = await api.get(f"{API}/orders.json")
    assert r.status_code == 503
    assert r.json() == {"errors": "Service Unavailable"}
