"""A Dataverse sandbox on a real socket per test module, and a connector per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from ferry.connectors.dynamics365 import DataverseConfig, DataverseConnector
from ferry.http import HttpClient
from ferry.sandboxes.dynamics365 import Dynamics365Sandbox
from ferry.sandboxes.kit.server import running

TENANT = "ferrysandbox.onmicrosoft.com"
SIZES = {"accounts": 24, "salesorders": 2}


@dataclass
class Served:
    sandbox: Dynamics365Sandbox
    url: str

    def config(self, **overrides: Any) -> DataverseConfig:
        creds = self.sandbox.credentials()
        fields: dict[str, Any] = {
            "url": self.url,
            "tenant": TENANT,
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
            "authority_host": self.url,
            "max_requests_per_second": 2000,
        }
        return DataverseConfig(**{**fields, **overrides})

    async def control(self, method: str, path: str, body: Any = None) -> Any:
        """Call the sandbox's `/_sandbox/` control surface."""
        http = HttpClient(self.url, system="sandbox")
        try:
            return (await http.request(method, f"/_sandbox/{path}", json=body)).json()
        finally:
            await http.aclose()


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    sandbox = Dynamics365Sandbox(sizes=SIZES)
    with running(sandbox) as url:
        yield Served(sandbox, url)


@pytest.fixture
async def connector(served: Served) -> AsyncIterator[DataverseConnector]:
    conn = DataverseConnector(served.config())
    try:
        yield conn
    finally:
        await conn.aclose()


@pytest.fixture
async def fresh(served: Served, connector: DataverseConnector) -> DataverseConnector:
    """The connector, against a sandbox back at its seeded state."""
    await served.control("POST", "reset", {})
    return connector
