from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ferry.connectors.dynamics365 import SECRET_HEADER, DataverseConnector
from ferry.core.errors import AuthError
from ferry.core.records import WriteKind, WriteOp
from ferry.sandboxes.dynamics365 import Dynamics365Sandbox
from ferry.sandboxes.kit.server import running
from tests.connectors.dynamics365.conftest import SIZES, Served

HOOK = "http://receiver.test/hooks/dataverse"
SECRET = "webhook-s3cret-for-tests"


class Receiver:
    """A small Starlette app standing in for ferry's webhook endpoint."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[dict[str, str], bytes]] = []
        self.app = Starlette(routes=[Route("/hooks/dataverse", self.hook, methods=["POST"])])

    async def hook(self, request: Request) -> Response:
        self.deliveries.append(({k.lower(): v for k, v in request.headers.items()}, await request.body()))
        return Response(status_code=202)

    async def next(self, seen: int = 0) -> tuple[dict[str, str], bytes]:
        """Wait for delivery number `seen + 1` (the sandbox sends from its own thread)."""
        async with asyncio.timeout(5):
            # The receiver runs on the server thread's loop, so an asyncio.Event cannot signal this one.
            while len(self.deliveries) <= seen:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        return self.deliveries[seen]


@pytest.fixture(scope="module")
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture(scope="module")
def served(receiver: Receiver) -> Iterator[Served]:
    sandbox = Dynamics365Sandbox(
        sizes=SIZES, webhook_transport=httpx.ASGITransport(app=receiver.app), webhook_retry_delays=[0]
    )
    with running(sandbox) as url:
        yield Served(sandbox, url)


async def steps_of(conn: DataverseConnector, endpoint: str) -> list[str]:
    body = await conn.client.get_json(
        "sdkmessageprocessingsteps", {"$select": "name,stage,mode", "$filter": f"_eventhandler_value eq {endpoint}"}
    )
    assert all((s["stage"], s["mode"]) == (40, 1) for s in body["value"])
    return sorted(s["name"] for s in body["value"])


async def test_subscribing_again_reuses_the_endpoint_and_its_steps(fresh: DataverseConnector) -> None:
    first = await fresh.hooks.subscribe(HOOK, ["accounts", "contacts"], SECRET)
    again = await fresh.hooks.subscribe(HOOK, ["accounts", "contacts"], SECRET)
    assert again == first
    endpoints = await fresh.client.get_json("serviceendpoints", {"$filter": f"url eq '{HOOK}'"})
    assert len(endpoints["value"]) == 1 and endpoints["value"][0]["contract"] == 8
    assert await steps_of(fresh, first) == sorted(
        f"ferry: {m} of {t}" for m in ("Create", "Update", "Delete") for t in ("account", "contact")
    )
    await fresh.hooks.subscribe(HOOK, ["accounts"], SECRET)
    assert await steps_of(fresh, first) == [f"ferry: {m} of account" for m in ("Create", "Delete", "Update")]


async def test_a_create_arrives_as_a_change_notice(fresh: DataverseConnector, receiver: Receiver) -> None:
    await fresh.hooks.subscribe(HOOK, ["accounts"], SECRET)
    seen = len(receiver.deliveries)
    (created,) = await fresh.write([WriteOp(WriteKind.CREATE, "accounts", {"name": "Hooked Ltd"})])
    headers, body = await receiver.next(seen)
    assert headers[SECRET_HEADER] == SECRET
    (notice,) = fresh.hooks.parse(headers, body, SECRET)
    assert (notice.entity, notice.id, notice.kind) == ("accounts", created.id, "upsert")
    assert notice.version == created.version
    assert notice.event_id and notice.occurred_at is not None


async def test_a_delete_arrives_as_a_delete_notice(fresh: DataverseConnector, receiver: Receiver) -> None:
    (created,) = await fresh.write([WriteOp(WriteKind.CREATE, "accounts", {"name": "Doomed Ltd"})])
    await fresh.hooks.subscribe(HOOK, ["accounts"], SECRET)
    seen = len(receiver.deliveries)
    await fresh.write([WriteOp(WriteKind.DELETE, "accounts", id=created.id)])
    (notice,) = fresh.hooks.parse(*await receiver.next(seen), SECRET)
    assert (notice.entity, notice.id, notice.kind) == ("accounts", created.id, "delete")


async def test_a_wrong_or_missing_secret_is_refused(fresh: DataverseConnector, receiver: Receiver) -> None:
    await fresh.hooks.subscribe(HOOK, ["accounts"], SECRET)
    seen = len(receiver.deliveries)
    await fresh.write([WriteOp(WriteKind.CREATE, "accounts", {"name": "Spoofed Ltd"})])
    headers, body = await receiver.next(seen)
    with pytest.raises(AuthError) as caught:
        fresh.hooks.parse(headers, body, "another-secret")
    assert SECRET not in str(caught.value) and "another-secret" not in str(caught.value)
    without = {k: v for k, v in headers.items() if k != SECRET_HEADER}
    with pytest.raises(AuthError):
        fresh.hooks.parse(without, body, SECRET)


async def test_unsubscribe_removes_the_endpoint_and_its_steps(fresh: DataverseConnector) -> None:
    endpoint = await fresh.hooks.subscribe(HOOK, ["accounts"], SECRET)
    await fresh.hooks.unsubscribe(endpoint)
    await fresh.hooks.unsubscribe(endpoint)  # already gone: no error
    assert await steps_of(fresh, endpoint) == []
    assert (await fresh.client.get_json("serviceendpoints", {"$filter": f"url eq '{HOOK}'"}))["value"] == []


def test_the_sandbox_sends_from_its_own_thread(served: Served) -> None:
    assert isinstance(served.sandbox, Dynamics365Sandbox)
