"""The sandbox over a real socket, as `ferry sandbox tims` serves it."""

from __future__ import annotations

import httpx

from ferry.sandboxes.kit.server import running
from tests.sandboxes.tims.conftest import make_sandbox


async def test_the_api_answers_over_a_real_socket() -> None:
    sandbox = make_sandbox()
    with running(sandbox) as base_url:
        async with httpx.AsyncClient(base_url=base_url) as c:
            form = {
                "grant_type": "client_credentials",
                "client_id": "ferry-tims-client",
                "client_secret": "tims-sandbox-secret",
            }
            token = (await c.post("/oauth/token", data=form)).json()["access_token"]
            r = await c.post(
                "/api/v1/customers", json={"CompanyName": "Socket Steel"}, headers={"Authorization": f"Bearer {token}"}
            )
            fetched = await c.get(r.headers["location"], headers={"X-API-Key": "tims-sandbox-key"})
    assert r.status_code == 201
    assert r.headers["location"].startswith(base_url)
    assert fetched.json() == r.json()
