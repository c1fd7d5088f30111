"""Health, authentication and failures of the whole call: raised with the class the engine acts on."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from ferry.connectors import Connector
from ferry.connectors.registry import connector_class
from ferry.connectors.tims import TimsConfig, TimsConnector
from ferry.core.errors import RateLimitedError, TransientError
from ferry.core.records import WriteKind, WriteOp
from ferry.http import ClientCredentials
from ferry.sandboxes.kit import ManualClock
from tests.connectors.tims.conftest import Tims, serve


def test_the_entry_point_names_the_connector() -> None:
    connector: type[Connector] = connector_class("tims")

    assert connector is TimsConnector and connector.name == "tims" and connector.Config is TimsConfig


async def test_check_reports_ok_and_the_rate_limit_headroom(connector: TimsConnector) -> None:
    health = await connector.check()

    assert health.ok and health.rate_limit_remaining is not None and 0 < health.rate_limit_remaining < 3000


async def test_check_reports_a_wrong_key_without_raising(tims: Tims) -> None:
    connector = TimsConnector(tims.config(api_key="not-the-key"))
    try:
        health = await connector.check()
    finally:
        await connector.aclose()

    assert not health.ok and "401" in health.detail and health.extra["error"] == "AuthError"


async def test_check_reports_an_unreachable_server_without_raising() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once the socket closes
    connector = TimsConnector(TimsConfig(url=f"http://127.0.0.1:{port}", api_key="k", timeout_seconds=2))
    try:
        health = await connector.check()
    finally:
        await connector.aclose()

    assert not health.ok and "could not be reached" in health.detail


async def test_over_the_rate_limit_raises_rate_limited_with_retry_after(tims: Tims, connector: TimsConnector) -> None:
    await tims.control("POST", "/_sandbox/faults", {"rate_limit": {"requests": 1, "per_seconds": 30}})
    try:
        await connector.read("customers", None, page_size=1)
        with pytest.raises(RateLimitedError) as caught:
            await connector.read("customers", None, page_size=1)
    finally:
        await tims.control("DELETE", "/_sandbox/faults")

    assert caught.value.retry_after is not None and 1 <= caught.value.retry_after <= 30


async def test_maintenance_raises_a_transient_error(tims: Tims, connector: TimsConnector) -> None:
    await tims.control("POST", "/_sandbox/faults", {"error_next": 1, "error_status": 503})
    try:
        with pytest.raises(TransientError) as caught:
            await connector.write([WriteOp(WriteKind.CREATE, "customers", {"CompanyName": "Sierra"})])
    finally:
        await tims.control("DELETE", "/_sandbox/faults")

    assert caught.value.retry_after == 5 and "503" in caught.value.message


async def test_secrets_stay_out_of_reprs_and_errors(tims: Tims) -> None:
    config = tims.config(api_key="very-secret-key", webhook_secret="very-secret-hook")
    connector = TimsConnector(config)
    try:
        health = await connector.check()
    finally:
        await connector.aclose()

    shown = " ".join([repr(connector), repr(config), repr(connector.http.auth), health.detail, repr(health.extra)])
    assert "very-secret" not in shown


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def frozen(clock: ManualClock) -> Iterator[Tims]:
    yield from serve(clock)


def oauth(tims: Tims) -> TimsConfig:
    creds = tims.sandbox.credentials()
    return tims.config(api_key=None, client_id=creds["client_id"], client_secret=creds["client_secret"])


async def test_oauth_client_credentials_read_and_write(tims: Tims) -> None:
    connector = TimsConnector(oauth(tims))
    try:
        health = await connector.check()
        [result] = await connector.write([WriteOp(WriteKind.CREATE, "customers", {"CompanyName": "Tango"})])
    finally:
        await connector.aclose()

    assert health.ok and health.extra["auth"] == "oauth_client_credentials" and result.ok


async def test_an_expired_token_is_refreshed(frozen: Tims, clock: ManualClock) -> None:
    connector = TimsConnector(oauth(frozen))
    try:
        assert (await connector.check()).ok
        clock.advance(3601)  # TIMS forgets the token; the connection still thinks it fresh

        health = await connector.check()
    finally:
        await connector.aclose()

    auth = connector.http.auth
    assert health.ok and isinstance(auth, ClientCredentials) and auth.fetches == 2


async def test_wrong_client_credentials_are_reported(tims: Tims) -> None:
    connector = TimsConnector(oauth(tims).model_copy(update={"client_id": "stranger"}))
    try:
        health = await connector.check()
    finally:
        await connector.aclose()

    assert not health.ok and health.extra["error"] == "AuthError" and "tims-sandbox-secret" not in health.detail
