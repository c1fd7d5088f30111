"""A storefront sandbox on a real socket, and connectors pointed at it."""

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

from ferry.connectors.storefront import StorefrontConfig, StorefrontConnector
from ferry.core.records import Page, Record
from ferry.sandboxes.kit.server import running
from ferry.sandboxes.storefront.sandbox import StorefrontSandbox

SIZES = {"customers": 60, "orders": 40}


class Receiver:
    """The webhook endpoint deliveries reach (through the sandbox's `webhook_transport`)."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, str], bytes]] = []
        self.transport = httpx.ASGITransport(app=Starlette(routes=[Route("/hooks", self._hook, methods=["POST"])]))

    async def _hook(self, request: Request) -> Response:
        self.calls.append((dict(request.headers), await request.body()))
        return Response(status_code=200)

    async def wait_for(self, predicate: Any) -> tuple[dict[str, str], bytes]:
        """The first delivery `predicate(headers, body)` accepts, waiting up to 5 s for it to arrive."""
        for _ in range(250):
            for headers, body in list(self.calls):
                if predicate(headers, body):
                    return headers, body
            await asyncio.sleep(0.02)
        raise AssertionError("no matching webhook delivery arrived")


@dataclass
class Shop:
    sandbox: StorefrontSandbox
    url: str
    receiver: Receiver = field(default_factory=Receiver)

    @property
    def credentials(self) -> dict[str, str]:
        return self.sandbox.credentials()

    def config(self, **changes: Any) -> StorefrontConfig:
        values: dict[str, Any] = {
            "url": self.url,
            "access_token": self.credentials["access_token"],
            "webhook_secret": self.credentials["webhook_secret"],
        }
        return StorefrontConfig(**{**values, **changes})

    async def control(self, method: str, path: str, body: Any = None) -> Any:
        async with httpx.AsyncClient(base_url=self.url) as client:
            response = await client.request(method, path, json=body)
            response.raise_for_status()
            return response.json() if response.content else None

    def requests(self) -> int:
        with self.sandbox.lock:
            return int(self.sandbox.stats.snapshot()["requests"]) if hasattr(self.sandbox.stats, "snapshot") else 0


@pytest.fixture(scope="module")
def shop_server() -> Iterator[Shop]:
    receiver = Receiver()
    sandbox = StorefrontSandbox(sizes=SIZES, webhook_transport=receiver.transport, webhook_retry_delays=[0])
    with running(sandbox) as url:
        yield Shop(sandbox, url, receiver)


@pytest.fixture
def shop(shop_server: Shop) -> Shop:
    """The module's shop, back in its seeded state, its rate-limit bucket empty and no deliveries heard."""
    shop_server.sandbox.reset()
    shop_server.receiver.calls.clear()
    return shop_server


@pytest.fixture
async def connector(shop: Shop) -> AsyncIterator[StorefrontConnector]:
    c = StorefrontConnector(shop.config())
    yield c
    await c.aclose()


async def drain(
    connector: StorefrontConnector, entity: str, cursor: str | None = None, page_size: int = 250
) -> tuple[list[Record], str | None, int]:
    """Read until the shop has nothing more: the records, the cursor to resume from, and the pages read."""
    records: list[Record] = []
    for pages in range(1, 200):
        page: Page = await connector.read(entity, cursor, page_size=page_size)
        records.extend(page.records)
        cursor = page.cursor
        if not page.more:
            return records, cursor, pages
    raise AssertionError("the read never finished")
