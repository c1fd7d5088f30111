"""Clients of the control API for tests: in-process (ASGI), acting as a person with a given role."""

from __future__ import annotations

from typing import Any

import httpx

from ferry.access import AccessStore
from ferry.api import control_app
from ferry.engine.store import SqliteStore

PASSWORD = "correct horse battery"


async def token_for(store: SqliteStore, role: str) -> str:
    people = AccessStore(store)
    name = f"test-{role}"
    if await people.user(name) is None:
        await people.add_user(name, role, PASSWORD)
    return await people.issue_token(name, "tests")


async def api_client(store: SqliteStore, role: str | None = "admin", **options: Any) -> httpx.AsyncClient:
    """A client of `control_app(store, **options)` sending an API token of a user with `role` (None: none)."""
    app = control_app(store, **options)
    headers = {"Authorization": f"Bearer {await token_for(store, role)}"} if role else {}
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ferry.test", headers=headers)
