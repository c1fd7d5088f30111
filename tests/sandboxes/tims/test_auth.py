"""Authentication (API key, OAuth2 client credentials) and permissions."""

from __future__ import annotations

import base64

import httpx

from ferry.sandboxes.kit import ManualClock
from ferry.sandboxes.tims import TimsSandbox
from tests.sandboxes.tims.conftest import READONLY_KEY, client_for

FORM = {"grant_type": "client_credentials", "client_id": "ferry-tims-client", "client_secret": "tims-sandbox-secret"}


async def token(client: httpx.AsyncClient, **form: str) -> str:
    r = await client.post("/oauth/token", data={**FORM, **form})
    assert r.status_code == 200, r.text
    value: str = r.json()["access_token"]
    return value


async def test_credentials_are_published_on_the_control_surface(sandbox: TimsSandbox) -> None:
    async with client_for(sandbox, api_key=None) as c:
        creds = (await c.get("/_sandbox/credentials")).json()
    assert creds["api_key"] == "tims-sandbox-key"
    assert creds["readonly_api_key"] == READONLY_KEY
    assert (creds["client_id"], creds["client_secret"]) == ("ferry-tims-client", "tims-sandbox-secret")
    assert creds["webhook_secret"]


async def test_no_credentials_is_401_with_a_challenge(sandbox: TimsSandbox) -> None:
    async with client_for(sandbox, api_key=None) as c:
        r = await c.get("/api/v1/customers")
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert r.headers["content-type"] == "application/problem+json"


async def test_a_wrong_api_key_is_401(sandbox: TimsSandbox) -> None:
    async with client_for(sandbox, api_key="guess") as c:
        r = await c.get("/api/v1/customers")
    assert r.status_code == 401
    assert "www-authenticate" in r.headers


async def test_a_client_credentials_token_authorises_requests(sandbox: TimsSandbox) -> None:
    async with client_for(sandbox, api_key=None) as c:
        r = await c.post("/oauth/token", data=FORM)
        listed = await c.get("/api/v1/items", headers={"Authorization": f"Bearer {r.json()['access_token']}"})
    assert (r.json()["token_type"], r.json()["expires_in"]) == ("Bearer", 3600)
    assert r.headers["cache-control"] == "no-store"
    assert listed.status_code == 200


async def test_http_basic_client_authentication_is_accepted(sandbox: TimsSandbox) -> None:
    basic = base64.b64encode(b"ferry-tims-client:tims-sandbox-secret").decode()
    async with client_for(sandbox, api_key=None) as c:
        r = await c.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {basic}"}
        )
    assert r.status_code == 200


async def test_a_wrong_client_secret_is_401_invalid_client(sandbox: TimsSandbox) -> None:
    async with client_for(sandbox, api_key=None) as c:
        r = await c.post("/oauth/token", data={**FORM, "client_secret": "nope"})
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"


async def test_another_grant_type_is_400_unsupported(sandbox: TimsSandbox) -> None:
    async with client_for(sandbox, api_key=None) as c:
        r = await c.post("/oauth/token", data={**FORM, "grant_type": "password"})
    assert r.status_code == 400
    assert r.json()["error"] == "unsupported_grant_type"


async def test_an_expired_token_is_401_saying_so(sandbox: TimsSandbox, clock: ManualClock) -> None:
    async with client_for(sandbox, api_key=None) as c:
        bearer = {"Authorization": f"Bearer {await token(c)}"}
        clock.advance(3601)
        r = await c.get("/api/v1/customers", headers=bearer)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == 'Bearer error="invalid_token", error_description="The access token expired"'


async def test_the_expire_tokens_fault_expires_every_token_until_cleared(sandbox: TimsSandbox) -> None:
    async with client_for(sandbox, api_key=None) as c:
        await c.post("/_sandbox/faults", json={"expire_tokens": True})
        expired = await c.get("/api/v1/customers", headers={"Authorization": f"Bearer {await token(c)}"})
        await c.delete("/_sandbox/faults")
        fresh = await c.get("/api/v1/customers", headers={"Authorization": f"Bearer {await token(c)}"})
    assert expired.status_code == 401
    assert 'error="invalid_token"' in expired.headers["www-authenticate"]
    assert fresh.status_code == 200


async def test_an_unknown_token_is_401(sandbox: TimsSandbox) -> None:
    async with client_for(sandbox, api_key=None) as c:
        r = await c.get("/api/v1/customers", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401


async def test_the_read_only_key_reads_but_may_not_write(sandbox: TimsSandbox) -> None:
    async with client_for(sandbox, api_key=READONLY_KEY) as c:
        read = await c.get("/api/v1/customers")
        write = await c.post("/api/v1/customers", json={"CompanyName": "A"})
        count = (await c.get("/api/v1/customers", params={"CompanyName": "A"})).json()["total"]
    assert read.status_code == 200
    assert write.status_code == 403
    assert write.headers["content-type"] == "application/problem+json"
    assert count == 0


async def test_a_token_with_read_scope_may_not_write(sandbox: TimsSandbox) -> None:
    async with client_for(sandbox, api_key=None) as c:
        bearer = {"Authorization": f"Bearer {await token(c, scope='read')}"}
        r = await c.delete("/api/v1/customers/10001", headers=bearer)
    assert r.status_code == 403
