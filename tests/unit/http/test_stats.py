"""Connection health kept by the HTTP seam, against the TIMS sandbox over real HTTP."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from ferry.core.errors import AuthError, RateLimitedError, TransientError
from ferry.http import ClientCredentials, HeaderAuth, HttpClient, TokenBucket
from ferry.http.stats import ConnectionStats, stats_scope
from ferry.sandboxes.dynamics365 import Dynamics365Sandbox
from ferry.sandboxes.kit.server import running
from ferry.sandboxes.tims import TimsSandbox


@pytest.fixture(scope="module")
def tims_url() -> Iterator[str]:
    with running(TimsSandbox(sizes={"customers": 3, "sales-orders": 0})) as url:
        yield url


def client(url: str, key: str, bucket: TokenBucket | None = None) -> HttpClient:
    return HttpClient(f"{url}/api/v1", system="TIMS", auth=HeaderAuth("X-API-Key", key), rate_limit=bucket)


async def test_clients_made_for_a_connection_share_its_stats(tims_url: str) -> None:
    registry: dict[str, ConnectionStats] = {}
    with stats_scope(registry, "erp"):
        first, second = client(tims_url, "tims-sandbox-key", TokenBucket(50, burst=10)), client(tims_url, "x")
    outside = client(tims_url, "tims-sandbox-key")
    try:
        await first.request("GET", "customers", params={"pageSize": "1"})
        await outside.request("GET", "customers", params={"pageSize": "1"})
        stats = registry["erp"]
        assert first.stats is second.stats is stats and outside.stats is not stats
        assert (stats.requests, stats.by_class, stats.errors, stats.auth_state) == (1, {"2xx": 1}, 0, "ok")
        assert stats.rate_limit_headers["x-ratelimit-limit"].isdigit()
        assert "x-ratelimit-remaining" in stats.rate_limit_headers
        assert stats.buckets[0].rate == 50 and 8 <= stats.buckets[0].available() <= 10

        with pytest.raises(AuthError):
            await second.request("GET", "customers")
        assert stats.auth_state == "failing" and stats.auth_error and "TIMS answered 401" in stats.auth_error
        assert stats.auth_failed_at is not None and stats.auth_ok_at is not None
        assert (stats.errors, stats.by_class["4xx"]) == (1, 2)  # the refusal, and the retry with fresh headers
        assert stats.last_error == stats.auth_error and "x" not in stats.rate_limit_headers.values()

        await first.request("GET", "customers", params={"pageSize": "1"})
        assert stats.auth_state == "ok"  # the credentials that work are accepted again
    finally:
        for http in (first, second, outside):
            await http.aclose()


async def test_429s_and_unreachable_systems_are_counted(tims_url: str) -> None:
    admin = HttpClient(tims_url, system="TIMS")
    http = client(tims_url, "tims-sandbox-key")
    try:
        await admin.request("POST", "/_sandbox/faults", json={"rate_limit": {"requests": 1, "per_seconds": 30}})
        with pytest.raises(RateLimitedError):
            for _ in range(3):
                await http.request("GET", "customers")
        assert http.stats.throttled == 1 and http.stats.rate_limit_headers["x-ratelimit-remaining"] == "0"
    finally:
        await admin.request("DELETE", "/_sandbox/faults")
        await admin.aclose()
        await http.aclose()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket closes
    nowhere = HttpClient(f"http://127.0.0.1:{port}", system="TIMS")
    try:
        with pytest.raises(TransientError):
            await nowhere.request("GET", "customers?api_key=hidden")
    finally:
        await nowhere.aclose()
    assert nowhere.stats.by_class == {"network": 1} and nowhere.stats.last_error_at is not None
    assert nowhere.stats.last_error and "hidden" not in nowhere.stats.last_error


async def test_a_refused_token_request_marks_the_connection_failing_without_the_secret() -> None:
    sandbox = Dynamics365Sandbox(sizes={"accounts": 1, "salesorders": 0})
    with running(sandbox) as url:
        creds = sandbox.credentials()
        token_url = f"{creds['authority']}/oauth2/v2.0/token"
        wrong = ClientCredentials(token_url, creds["client_id"], "sup3r-s3cret", scope=creds["scope"])
        http = HttpClient(f"{url}/api/data/v9.2", system="Dynamics 365", auth=wrong)
        try:
            with pytest.raises(AuthError):
                await http.request("GET", "WhoAmI")
        finally:
            await http.aclose()
    stats = http.stats
    assert stats.auth_state == "failing" and stats.auth_ok_at is None and stats.auth_failed_at is not None
    assert stats.auth_error and "refused client" in stats.auth_error and "sup3r-s3cret" not in stats.auth_error
    assert stats.requests == 1 and stats.by_class == {"4xx": 1}  # the token request itself
