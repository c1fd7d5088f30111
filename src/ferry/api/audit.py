"""Every change made through the control API goes into the actions log: who, what, the outcome, from where.

A plain ASGI wrapper rather than a framework middleware, so webhook deliveries (the hot path, under
`/hooks/`) pay one prefix check and nothing else.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ferry.access import AccessStore
from ferry.access.policy import SAFE_METHODS

#: Logins are recorded by the login route itself, with the name that was tried.
_SELF_RECORDED = frozenset({"/api/session"})


class ActionLog:
    def __init__(self, app: ASGIApp, people: AccessStore) -> None:
        self.app = app
        self.people = people

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS or not path.startswith("/api/"):
            await self.app(scope, receive, send)
            return
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            user: Any = scope.get("state", {}).get("user")
            if user is not None and path not in _SELF_RECORDED:
                client = scope.get("client")
                await self.people.record(
                    user.name,
                    user.role,
                    f"{scope['method']} {path}",
                    None,
                    "ok" if status < 400 else f"refused ({status})",
                    client[0] if client else None,
                )
