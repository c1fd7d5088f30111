from __future__ import annotations

from collections.abc import Iterator

import pytest

from ferry.connectors.dynamics365 import DataverseConnector
from ferry.core.errors import AuthError, RateLimitedError, TransientError
from ferry.core.records import WriteKind, WriteOp
from ferry.http import ClientCredentials
from ferry.sandboxes.dynamics365 import Dynamics365Sandbox
from ferry.sandboxes.kit import ManualClock
from ferry.sandboxes.kit.server import running
from tests.connectors.dynamics365.conftest import SIZES, Served


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(scope="module")
def served(clock: ManualClock) -> Iterator[Served]:
    """This module's sandbox keeps time by a clock the tests move (it runs in the server's thread)."""
    sandbox = Dynamics365Sandbox(sizes=SIZES, clock=clock)
    with running(sandbox) as url:
        yield Served(sandbox, url)


async def test_a_429_raises_rate_limited_with_the_retry_after(served: Served, fresh: DataverseConnector) -> None:
    await fresh.catalog()
    await served.control("POST", "faults", {"rate_limit": {"requests": 1, "per_seconds": 60}})
    await fresh.find("accounts", {"accountnumber": "A-1001"})
    with pytest.raises(RateLimitedError) as caught:
        await fresh.find("accounts", {"accountnumber": "A-1002"})
    assert caught.value.retry_after is not None and caught.value.retry_after > 0
    assert "0x80072322" in caught.value.message


async def test_a_throttled_write_raises_and_writes_nothing(served: Served, fresh: DataverseConnector) -> None:
    await fresh.catalog()
    await served.control("POST", "faults", {"rate_limit": {"requests": 1, "per_seconds": 60}})
    await fresh.find("accounts", {"accountnumber": "A-1001"})
    ops = [WriteOp(WriteKind.CREATE, "accounts", {"name": f"Throttled {n}"}) for n in range(3)]
    with pytest.raises(RateLimitedError) as caught:
        await fresh.write(ops)
    assert caught.value.retry_after is not None and caught.value.retry_after > 0
    await served.control("DELETE", "faults")
    other = DataverseConnector(served.config())  # this one honours the Retry-After it was given
    try:
        assert await other.find("accounts", {"name": "Throttled 0"}) == []
    finally:
        await other.aclose()


async def test_a_503_burst_raises_transient_then_clears(served: Served, fresh: DataverseConnector) -> None:
    await fresh.catalog()
    await served.control("POST", "faults", {"error_next": 2, "error_status": 503})
    for _ in range(2):
        with pytest.raises(TransientError) as caught:
            await fresh.get("accounts", "00000000-0000-0000-0000-000000000001")
        assert not isinstance(caught.value, RateLimitedError)
        assert "temporarily unavailable" in caught.value.message
    assert await fresh.get("accounts", "00000000-0000-0000-0000-000000000001") is None


async def test_an_expired_token_is_refreshed_without_the_caller_noticing(
    clock: ManualClock, fresh: DataverseConnector
) -> None:
    auth = fresh.client.http.auth
    assert isinstance(auth, ClientCredentials)
    assert (await fresh.check()).ok
    fetches = auth.fetches
    clock.advance(3700)  # the sandbox's tokens live 3599 s; the connector's cached one is now refused
    assert (await fresh.check()).ok
    assert auth.fetches == fetches + 1


async def test_tokens_refused_while_the_fault_lasts_then_accepted_again(
    served: Served, fresh: DataverseConnector
) -> None:
    assert (await fresh.check()).ok
    await served.control("POST", "faults", {"expire_tokens": True})
    with pytest.raises(AuthError) as caught:
        await fresh.get("accounts", "00000000-0000-0000-0000-000000000001")
    assert "The access token has expired" in caught.value.message
    await served.control("POST", "faults", {"expire_tokens": False})
    assert await fresh.get("accounts", "00000000-0000-0000-0000-000000000001") is None
