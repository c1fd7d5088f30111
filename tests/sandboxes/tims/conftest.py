"""Fixtures for driving the TIMS sandbox over HTTP, as a connector would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ferry.sandboxes.kit import ManualClock
from ferry.sandboxes.tims import TimsSandbox

API_KEY = "tims-sandbox-key"
READONLY_KEY = "tims-sandbox-readonly-key"
#: Small enough to seed in a few milliseconds, large enough for every kind of record to exist.
SMALL = {
    "customers": 30,
    "vendors": 5,
    "sales-orders": 30,
    "purchase-orders": 3,
    "gl-entries": 4,
    "inventory-adjustments": 4,
}


def make_sandbox(**kwargs: Any) -> TimsSandbox:
    kwargs.setdefault("clock", ManualClock())
    kwargs.setdefault("sizes", SMALL)
    return TimsSandbox(**kwargs)


def client_for(sandbox: TimsSandbox, api_key: str | None = API_KEY) -> httpx.AsyncClient:
    headers = {"X-API-Key": api_key} if api_key else {}
    transport = httpx.ASGITransport(app=sandbox)
    return httpx.AsyncClient(transport=transport, base_url=sandbox.base_url, headers=headers)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def sandbox(clock: ManualClock) -> AsyncIterator[TimsSandbox]:
    sb = make_sandbox(clock=clock)
    yield sb
    await sb.aclose()


@pytest.fixture
async def client(sandbox: TimsSandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(sandbox) as c:
        yield c


async def new_customer(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    body = {"CompanyName": "Harbor Welding LLC", "CreditLimit": "50000.00", "Currency": "USD", **fields}
    r = await client.post("/api/v1/customers", json=body)
    assert r.status_code == 201, r.text
    customer: dict[str, Any] = r.json()
    return customer


async def stocked_sku(client: httpx.AsyncClient, warehouse: str = "MAIN", minimum: int = 20) -> dict[str, Any]:
    """An inventory row with at least `minimum` available (only active items are stocked)."""
    r = await client.get("/api/v1/inventory", params={"Warehouse": warehouse, "pageSize": 500})
    rows = [row for row in r.json()["data"] if row["Available"] >= minimum]
    assert rows, "the seeded data set stocks most items"
    row: dict[str, Any] = rows[0]
    return row


async def place_order(
    client: httpx.AsyncClient, customer_id: int, sku: str, quantity: int, **fields: Any
) -> dict[str, Any]:
    body = {"CustomerID": customer_id, "Lines": [{"SKU": sku, "Quantity": quantity}], **fields}
    r = await client.post("/api/v1/sales-orders", json=body)
    assert r.status_code == 201, r.text
    order: dict[str, Any] = r.json()
    return order


def money(text: str) -> Decimal:
    return Decimal(text)


class Receiver:
    """A webhook endpoint that records what it gets and fails the first `fail_first` attempts."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.calls: list[tuple[dict[str, str], bytes]] = []
        self.app = Starlette(routes=[Route("/hook", self._hook, methods=["POST"])])
        self.transport = httpx.ASGITransport(app=self.app)

    async def _hook(self, request: Request) -> Response:
        self.calls.append((dict(request.headers), await request.body()))
        return Response(status_code=500 if len(self.calls) <= self.fail_first else 204)

    def events(self) -> list[str]:
        return [headers["x-tims-event"] for headers, _ in self.calls]
