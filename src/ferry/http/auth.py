"""How a connection proves who it is. Secrets stay inside these objects: never in reprs or errors."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Protocol

from ferry.core.errors import AuthError, FerryError

if TYPE_CHECKING:
    from ferry.http.client import HttpClient


class Auth(Protocol):
    """Supplies the headers that authenticate a request."""

    async def headers(self, http: HttpClient) -> dict[str, str]:
        """Headers to add to the next request (fetching or refreshing a token if needed)."""
        ...

    def invalidate(self) -> None:
        """The system refused the credentials just used (401): forget any cached token."""
        ...


class HeaderAuth:
    """A fixed header, such as `X-API-Key: …` or `X-Shopify-Access-Token: …`."""

    def __init__(self, name: str, value: str) -> None:
        self._name = name
        self._value = value

    async def headers(self, http: HttpClient) -> dict[str, str]:
        return {self._name: self._value}

    def invalidate(self) -> None:
        """A fixed credential cannot be refreshed; the 401 reaches the caller as an AuthError."""

    def __repr__(self) -> str:
        return f"HeaderAuth({self._name}: ***)"


class ClientCredentials:
    """OAuth 2.0 client credentials with a cached token, refreshed before it expires.

    Concurrent requests share one token fetch. Entra ID (Dataverse) passes `scope`
    (`https://org.crm.dynamics.com/.default`), v1-style endpoints pass `resource`.
    """

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        scope: str | None = None,
        resource: str | None = None,
        basic: bool = False,
        refresh_margin: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self._secret = client_secret
        self.scope = scope
        self.resource = resource
        self.basic = basic
        self.refresh_margin = refresh_margin
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        self.fetches = 0

    def __repr__(self) -> str:
        return f"ClientCredentials({self.token_url}, client_id={self.client_id}, secret=***)"

    async def headers(self, http: HttpClient) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.token(http)}"}

    def invalidate(self) -> None:
        self._token = None

    async def token(self, http: HttpClient) -> str:
        if self._token is not None and self._clock() < self._expires_at - self.refresh_margin:
            return self._token
        async with self._lock:
            if self._token is not None and self._clock() < self._expires_at - self.refresh_margin:
                return self._token
            self._token, lifetime = await self._fetch(http)
            self._expires_at = self._clock() + lifetime
            self.fetches += 1
            return self._token

    async def _fetch(self, http: HttpClient) -> tuple[str, float]:
        form = {"grant_type": "client_credentials"}
        if self.scope:
            form["scope"] = self.scope
        if self.resource:
            form["resource"] = self.resource
        auth: tuple[str, str] | None = None
        if self.basic:
            auth = (self.client_id, self._secret)
        else:
            form.update(client_id=self.client_id, client_secret=self._secret)
        try:
            response = await http.request("POST", self.token_url, form=form, basic_auth=auth, authenticate=False)
        except FerryError as exc:
            if isinstance(exc, AuthError) or getattr(exc, "context", {}).get("status") in (400, 401):
                raise AuthError(
                    f"The token endpoint refused client '{self.client_id}': {exc.message}",
                    detail=exc.detail,
                ) from None
            raise
        body = response.json()
        token = body.get("access_token") if isinstance(body, Mapping) else None
        if not isinstance(token, str):
            raise AuthError(f"The token endpoint {self.token_url} answered without an access_token.")
        # v1 endpoints send expires_in as a string.
        lifetime = float(body.get("expires_in", 3600))
        return token, lifetime
