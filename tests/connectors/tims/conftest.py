"""A TIMS sandbox on a real socket, and connectors pointed at it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ferry.connectors.tims import TimsConfig, TimsConnector
from ferry.core.records import Page, Record
from ferry.sandboxes.kit import Clock
from ferry.sandboxes.kit.server import running
from ferry.sandboxes.tims import TimsSandbox

SIZES = {
    "customers": 30,
    "vendors": 5,
    "sales-orders": 20,
    "purchase-orders": 3,
    "gl-entries": 4,
    "inventory-adjustments": 4,
}


class Receiver:
    """The webhook endpoint deliveries reach (through the sandbox's `webhook_transport`)."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, str], bytes]] = []
        self.transport = httpx.ASGITransport(app=Starlette(routes=[Route("/hooks", self._hook, methods=["POST"])]))

    async def _hook(self, request: Request) -> Response:
        self.calls.append((dict(request.headers), await request.body()))
        return Response(status_code=204)

    async def wait_for(self, predicate: Any) -> tuple[dict[str, str], bytes]:
        """The first delivery `predicate(headers, body)` accepts, waiting up to 5 s for it to arrive."""
        for _ in range(250):
            for headers, body in list(self.calls):
                if predicate(headers, body):
                    return headers, body
            await asyncio.sleep(0.02)
        raise AssertionError("no matching webhook delivery arrived")


@dataclass
class Tims:
    sandbox: TimsSandbox
    url: str
    receiver: Receiver = field(default_factory=Receiver)

    def config(self, **changes: Any) -> TimsConfig:
        values: dict[str, Any] = {
            "url": self.url,
            "api_key": self.sandbox.credentials()["api_key"],
            "max_requests_per_second": 1000,
        }
        return TimsConfig(**{**values, **changes})

    async def control(self, method: str, path: str, body: Any = None) -> Any:
        async with httpx.AsyncClient(base_url=self.url) as client:
            response = await client.request(method, path, json=body)
            response.raise_for_status()
            return response.json() if response.content else None

    def ids(self, collection: str) -> set[str]:
        """Every record id of a collection, straight from the sandbox's store."""
        with self.sandbox.lock:
            return {str(key) for key in self.sandbox.store.table(collection).rows}


def serve(clock: Clock | None = None) -> Iterator[Tims]:
    receiver = Receiver()
    sandbox = TimsSandbox(
        sizes=SIZES, clock=clock, webhook_transport=receiver.transport, webhook_retry_delays=[0, 0, 0]
    )
    with running(sandbox) as url:
        yield Tims(sandbox, url, receiver)


@pytest.fixture(scope="module")
def tims() -> Iterator[Tims]:
    yield from serve()


@pytest.fixture
async def connector(tims: Tims) -> AsyncIterator[TimsConnector]:
    c = TimsConnector(tims.config())
    yield c
    await c.aclose()


async def drain(
    connector: TimsConnector, entity: str, cursor: str | None = None, page_size: int = 200, **kwargs: Any
) -> tuple[list[Record], str | None]:
    """Read until TIMS has nothing more; every record returned, and the cursor to resume from."""
    records: list[Record] = []
    for _ in range(500):
        page: Page = await connector.read(entity, cursor, page_size=page_size, **kwargs)
        records.extend(page.records)
        cursor = page.cursor
        if not page.more:
            return records, cursor
    raise AssertionError("the read never finished")
