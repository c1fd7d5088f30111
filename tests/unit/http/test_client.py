from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from ferry.core.errors import AuthError, NotFoundError, RateLimitedError, TransientError, ValidationError
from ferry.http import ClientCredentials, HeaderAuth, HttpClient, TokenBucket, retry_after
from ferry.sandboxes.dynamics365 import Dynamics365Sandbox
from ferry.sandboxes.kit.server import running
from ferry.sandboxes.tims import TimsSandbox


@pytest.fixture(scope="module")
def tims_url() -> Iterator[str]:
    with running(TimsSandbox(sizes={"customers": 5, "sales-orders": 2})) as url:
        yield url


@pytest.fixture(scope="module")
def dataverse() -> Iterator[tuple[Dynamics365Sandbox, str]]:
    sandbox = Dynamics365Sandbox(sizes={"accounts": 5, "salesorders": 1})
    with running(sandbox) as url:
        yield sandbox, url


def tims(url: str, key: str = "tims-sandbox-key") -> HttpClient:
    return HttpClient(f"{url}/api/v1", system="TIMS", auth=HeaderAuth("X-API-Key", key))


async def test_json_round_trip_keeps_decimals(tims_url: str) -> None:
    http = tims(tims_url)
    try:
        body = (await http.request("GET", "customers", params={"pageSize": "1"})).json()
    finally:
        await http.aclose()
    assert type(body["data"][0]["CreditLimit"]).__name__ in ("str", "Decimal")


async def test_statuses_become_failure_classes(tims_url: str) -> None:
    http = tims(tims_url)
    try:
        with pytest.raises(NotFoundError, match="TIMS answered 404"):
            await http.request("GET", "customers/999999")
        with pytest.raises(ValidationError):
            await http.request("POST", "customers", json={"NoSuchField": 1})
        stranger = tims(tims_url, key="wrong")
        with pytest.raises(AuthError):
            await stranger.request("GET", "customers")
        await stranger.aclose()
    finally:
        await http.aclose()


async def test_429_is_rate_limited_with_the_systems_retry_after(tims_url: str) -> None:
    admin = HttpClient(tims_url, system="TIMS")
    http = tims(tims_url)
    try:
        await admin.request("POST", "/_sandbox/faults", json={"rate_limit": {"requests": 1, "per_seconds": 30}})
        await http.request("GET", "customers")
        with pytest.raises(RateLimitedError) as caught:
            await http.request("GET", "customers")
        assert caught.value.retry_after is not None and caught.value.retry_after > 0
    finally:
        await admin.request("DELETE", "/_sandbox/faults")
        await http.aclose()
        await admin.aclose()


async def test_unreachable_system_is_transient() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    http = HttpClient(f"http://127.0.0.1:{port}", system="TIMS", timeout=2)
    with pytest.raises(TransientError, match="could not be reached"):
        await http.request("GET", "anything")
    await http.aclose()


async def test_client_credentials_fetch_once_and_refresh_after_a_401(
    dataverse: tuple[Dynamics365Sandbox, str],
) -> None:
    sandbox, url = dataverse
    creds = sandbox.credentials()
    auth = ClientCredentials(
        f"{creds['authority']}/oauth2/v2.0/token", creds["client_id"], creds["client_secret"], scope=creds["scope"]
    )
    http = HttpClient(f"{url}/api/data/v9.2", system="Dynamics 365", auth=auth)
    try:
        for _ in range(3):
            await http.request("GET", "WhoAmI")
        assert auth.fetches == 1
        auth._token = "expired-or-revoked"  # what a server-side revocation looks like to the client
        await http.request("GET", "WhoAmI")
        assert auth.fetches == 2
        assert "secret" not in repr(auth) or "***" in repr(auth)
    finally:
        await http.aclose()


async def test_wrong_client_secret_is_an_auth_error_without_the_secret(
    dataverse: tuple[Dynamics365Sandbox, str],
) -> None:
    sandbox, url = dataverse
    creds = sandbox.credentials()
    auth = ClientCredentials(
        f"{creds['authority']}/oauth2/v2.0/token", creds["client_id"], "sup3r-s3cret", scope=creds["scope"]
    )
    http = HttpClient(f"{url}/api/data/v9.2", system="Dynamics 365", auth=auth)
    with pytest.raises(AuthError) as caught:
        await http.request("GET", "WhoAmI")
    await http.aclose()
    assert "sup3r-s3cret" not in str(caught.value) + str(caught.value.detail)


def test_retry_after_reads_seconds_and_dates() -> None:
    assert retry_after("2.5") == 2.5
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after("soon") is None


async def test_token_bucket_spaces_requests() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=10, burst=2, clock=lambda: now[0])
    await bucket.acquire()
    await bucket.acquire()
    bucket.penalise(1.0)
    assert bucket._tokens == -10.0
