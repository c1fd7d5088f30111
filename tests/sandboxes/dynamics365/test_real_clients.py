"""Well-known clients written for the real services, pointed at the sandbox over real sockets and TLS."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import msal
import pytest
import requests

from ferry.sandboxes.dynamics365 import Dynamics365Sandbox
from ferry.sandboxes.kit.server import running
from ferry.sandboxes.kit.tls import TLSFiles, ensure_tls_files


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    return ensure_tls_files(Path(tmp_path_factory.mktemp("tls")))


@pytest.fixture(scope="module")
def served(tls: TLSFiles) -> Iterator[tuple[Dynamics365Sandbox, str]]:
    sandbox = Dynamics365Sandbox(sizes={"accounts": 10, "salesorders": 2})
    with running(sandbox, tls=tls) as base_url:
        yield sandbox, base_url


@pytest.fixture
def session(tls: TLSFiles) -> Iterator[requests.Session]:
    # requests lets REQUESTS_CA_BUNDLE override a session's `verify` (psf/requests#3829), and CI machines set
    # it; a session that ignores the environment trusts exactly the sandbox's CA.
    with requests.Session() as session:
        session.trust_env = False
        session.verify = str(tls.ca_cert)
        yield session


def msal_app(
    sandbox: Dynamics365Sandbox, session: requests.Session, secret: str | None = None
) -> msal.ConfidentialClientApplication:
    creds = sandbox.credentials()
    return msal.ConfidentialClientApplication(
        creds["client_id"],
        client_credential=secret or creds["client_secret"],
        authority=creds["authority"],
        validate_authority=False,
        http_client=session,
    )


def test_msal_acquires_a_token_that_the_web_api_accepts(
    served: tuple[Dynamics365Sandbox, str], tls: TLSFiles, session: requests.Session
) -> None:
    sandbox, base_url = served
    result = msal_app(sandbox, session).acquire_token_for_client(scopes=[f"{base_url}/.default"])
    assert "access_token" in result, result
    assert result["token_source"] == "identity_provider"
    r = httpx.get(
        f"{base_url}/api/data/v9.2/accounts",
        params={"$select": "name", "$top": "2"},
        headers={"Authorization": f"Bearer {result['access_token']}"},
        verify=ssl.create_default_context(cafile=str(tls.ca_cert)),
    )
    assert r.status_code == 200
    assert len(r.json()["value"]) == 2


def test_msal_reports_a_wrong_secret_as_invalid_client(
    served: tuple[Dynamics365Sandbox, str], session: requests.Session
) -> None:
    sandbox, base_url = served
    result = msal_app(sandbox, session, secret="wrong").acquire_token_for_client(scopes=[f"{base_url}/.default"])
    assert result["error"] == "invalid_client"
    assert 7000215 in result["error_codes"]


def test_pyjwt_verifies_the_token_with_the_published_keys(
    served: tuple[Dynamics365Sandbox, str], tls: TLSFiles, session: requests.Session
) -> None:
    sandbox, base_url = served
    token = msal_app(sandbox, session).acquire_token_for_client(scopes=[f"{base_url}/.default"])["access_token"]
    context = ssl.create_default_context(cafile=str(tls.ca_cert))
    discovery = httpx.get(f"{base_url}/{sandbox.tenant_id}/v2.0/.well-known/openid-configuration", verify=context)
    keys = jwt.PyJWKClient(discovery.json()["jwks_uri"], ssl_context=context)
    claims = jwt.decode(
        token,
        keys.get_signing_key_from_jwt(token).key,
        algorithms=["RS256"],
        audience=base_url,
        issuer=f"https://sts.windows.net/{sandbox.tenant_id}/",
    )
    assert claims["appid"] == sandbox.credentials()["client_id"]
    assert claims["ver"] == "1.0"
