from __future__ import annotations

import httpx

from ferry.sandboxes.dynamics365 import Dynamics365Sandbox
from ferry.sandboxes.kit import ManualClock
from tests.sandboxes.dynamics365.conftest import API, BASE, fetch_token


def token_form(sandbox: Dynamics365Sandbox, **overrides: str) -> dict[str, str]:
    creds = sandbox.credentials()
    form = {
        "grant_type": "client_credentials",
        "client_id": creds["client_id"],
        "client_secret": creds["client_secret"],
        "scope": creds["scope"],
    }
    form.update(overrides)
    return form


async def test_token_response_has_the_entra_shape(anon: httpx.AsyncClient, sandbox: Dynamics365Sandbox) -> None:
    r = await anon.post(f"/{sandbox.tenant_id}/oauth2/v2.0/token", data=token_form(sandbox))
    body = r.json()
    assert r.status_code == 200
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3599
    assert body["access_token"].count(".") == 2


async def test_wrong_secret_is_refused_with_aadsts7000215(anon: httpx.AsyncClient, sandbox: Dynamics365Sandbox) -> None:
    r = await anon.post(f"/{sandbox.tenant_id}/oauth2/v2.0/token", data=token_form(sandbox, client_secret="nope"))
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"
    assert r.json()["error_codes"] == [7000215]


async def test_scope_of_another_resource_is_refused(anon: httpx.AsyncClient, sandbox: Dynamics365Sandbox) -> None:
    r = await anon.post(
        f"/{sandbox.tenant_id}/oauth2/v2.0/token",
        data=token_form(sandbox, scope="https://other.crm.dynamics.com/.default"),
    )
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_resource"


async def test_scope_without_default_suffix_is_refused(anon: httpx.AsyncClient, sandbox: Dynamics365Sandbox) -> None:
    r = await anon.post(f"/{sandbox.tenant_id}/oauth2/v2.0/token", data=token_form(sandbox, scope=BASE))
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_scope"


async def test_client_secret_in_basic_auth_is_accepted(anon: httpx.AsyncClient, sandbox: Dynamics365Sandbox) -> None:
    creds = sandbox.credentials()
    r = await anon.post(
        f"/{sandbox.tenant_id}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "scope": creds["scope"]},
        auth=(creds["client_id"], creds["client_secret"]),
    )
    assert r.status_code == 200


async def test_v1_endpoint_takes_a_resource_and_answers_string_lifetimes(
    anon: httpx.AsyncClient, sandbox: Dynamics365Sandbox
) -> None:
    creds = sandbox.credentials()
    r = await anon.post(
        f"/{sandbox.tenant_id}/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
            "resource": BASE,
        },
    )
    assert r.status_code == 200
    assert r.json()["expires_in"] == "3599"
    assert r.json()["resource"] == BASE


async def test_unknown_tenant_is_refused(anon: httpx.AsyncClient, sandbox: Dynamics365Sandbox) -> None:
    r = await anon.post("/00000000-0000-0000-0000-000000000001/oauth2/v2.0/token", data=token_form(sandbox))
    assert r.status_code == 400
    assert r.json()["error_codes"] == [90002]


async def test_api_without_token_answers_401_with_the_authority(
    anon: httpx.AsyncClient, sandbox: Dynamics365Sandbox
) -> None:
    r = await anon.get(f"{API}/accounts")
    assert r.status_code == 401
    challenge = r.headers["www-authenticate"]
    assert f"authorization_uri={BASE}/{sandbox.tenant_id}/oauth2/authorize" in challenge
    assert f"resource_id={BASE}/" in challenge


async def test_expired_token_is_refused(
    anon: httpx.AsyncClient, sandbox: Dynamics365Sandbox, clock: ManualClock
) -> None:
    token = await fetch_token(anon, sandbox)
    ok = await anon.get(f"{API}/WhoAmI", headers={"Authorization": f"Bearer {token}"})
    clock.advance(3600)
    expired = await anon.get(f"{API}/WhoAmI", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    assert expired.status_code == 401
    assert "error=invalid_token" in expired.headers["www-authenticate"]


async def test_expire_tokens_fault_refuses_fresh_tokens(anon: httpx.AsyncClient, sandbox: Dynamics365Sandbox) -> None:
    token = await fetch_token(anon, sandbox)
    await anon.post("/_sandbox/faults", json={"expire_tokens": True})
    refused = await anon.get(f"{API}/WhoAmI", headers={"Authorization": f"Bearer {token}"})
    await anon.delete("/_sandbox/faults")
    accepted = await anon.get(f"{API}/WhoAmI", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401
    assert accepted.status_code == 200


async def test_token_for_another_audience_is_refused(anon: httpx.AsyncClient, sandbox: Dynamics365Sandbox) -> None:
    foreign, _ = sandbox.entra.issue("https://contoso.crm.dynamics.com")
    r = await anon.get(f"{API}/WhoAmI", headers={"Authorization": f"Bearer {foreign}"})
    assert r.status_code == 401
    assert "audience" in r.headers["www-authenticate"]


async def test_tampered_token_is_refused(anon: httpx.AsyncClient, sandbox: Dynamics365Sandbox) -> None:
    token = await fetch_token(anon, sandbox)
    header, payload, signature = token.split(".")
    forged = ".".join((header, payload, signature[::-1]))
    r = await anon.get(f"{API}/WhoAmI", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401


async def test_whoami_names_the_application_user(api: httpx.AsyncClient, sandbox: Dynamics365Sandbox) -> None:
    me = (await api.get("WhoAmI")).json()
    user = (await api.get(f"systemusers({me['UserId']})", params={"$select": "applicationid,fullname"})).json()
    assert user["applicationid"] == sandbox.credentials()["client_id"]


async def test_openid_configuration_points_at_the_sandbox(anon: httpx.AsyncClient, sandbox: Dynamics365Sandbox) -> None:
    doc = (await anon.get(f"/{sandbox.tenant_id}/v2.0/.well-known/openid-configuration")).json()
    assert doc["token_endpoint"] == f"{BASE}/{sandbox.tenant_id}/oauth2/v2.0/token"
    keys = (await anon.get(doc["jwks_uri"].removeprefix(BASE))).json()
    assert keys["keys"][0]["kty"] == "RSA"
