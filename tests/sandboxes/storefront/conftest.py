"""Fixtures: a small seeded shop, an API client holding its token, and a webhook receiver."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ferry.sandboxes.kit import ManualClock
from ferry.sandboxes.storefront import StorefrontSandbox

API = "/admin/api/2025-07"
SMALL = {"customers": 60, "orders": 40}


@dataclass
class Delivery:
    name: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook endpoint that records what it is sent and answers with `status`."""

    status: int = 200
    #: Answer 200 from this many deliveries on (a receiver that comes back after an outage).
    recover_after: int | None = None
    deliveries: list[Delivery] = field(default_factory=list)

    def app(self) -> Starlette:
        async def hook(request: Request) -> Response:
            self.deliveries.append(Delivery(request.path_params["name"], dict(request.headers), await request.body()))
            recovered = self.recover_after is not None and len(self.deliveries) > self.recover_after
            return Response(status_code=200 if recovered else self.status)

        return Starlette(routes=[Route("/hooks/{name}", hook, methods=["POST"])])

    def topics(self) -> list[str]:
        return [d.headers["x-shopify-topic"] for d in self.deliveries]


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def sandbox(receiver: Receiver) -> StorefrontSandbox:
    return StorefrontSandbox(
        sizes=SMALL,
        clock=ManualClock(),
        webhook_transport=httpx.ASGITransport(app=receiver.app()),
        webhook_retry_delays=[0] * 8,
    )


def client_for(sandbox: StorefrontSandbox, token: str | None = "default") -> httpx.AsyncClient:
    headers = {}
    if token is not None:
        headers["X-Shopify-Access-Token"] = sandbox.credentials()["access_token"] if token == "default" else token
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox), base_url=sandbox.base_url, headers=headers)


@pytest.fixture
async def api(sandbox: StorefrontSandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(sandbox) as client:
        yield client


async def subscribe(api: httpx.AsyncClient, topic: str, name: str = "a") -> dict[str, Any]:
    r = await api.post(
        f"{API}/webhooks.json",
        json={"webhook": {"topic": topic, "address": f"https://hooks.test/hooks/{name}", "format": "json"}},
    )
    assert r.status_code == 201, r.text
    webhook: dict[str, Any] = r.json()["webhook"]
    return webhook


async def settle(sandbox: StorefrontSandbox) -> None:
    async with asyncio.timeout(5):
        await sandbox.webhooks.wait_idle()


async def in_stock_variant(api: httpx.AsyncClient) -> dict[str, Any]:
    products = (await api.get(f"{API}/products.json", params={"limit": 250, "status": "active"})).json()["products"]
    variant: dict[str, Any] = next(v for p in products for v in p["variants"] if v["inventory_quantity"] > 5)
    return variant
