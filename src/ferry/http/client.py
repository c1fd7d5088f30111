"""`HttpClient`: the one way connectors talk HTTP (aiohttp underneath)."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import aiohttp

from ferry import __version__
from ferry.core import jsoncodec, tracing
from ferry.core.errors import AuthError, TransientError
from ferry.http.auth import Auth
from ferry.http.errors import ErrorTable, classify
from ferry.http.limits import TokenBucket
from ferry.http.stats import ConnectionStats, stats_for


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    reason: str
    #: Header names in lower case; repeated headers joined with ", ".
    headers: Mapping[str, str]
    body: bytes
    url: str

    def json(self) -> Any:
        """The body as JSON, decimals kept exact."""
        return jsoncodec.loads(self.body) if self.body else None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class HttpClient:
    """A pooled HTTP client for one connection.

    It adds authentication (retrying once with fresh credentials after a 401), waits on the
    connection's rate limit, and turns failures into FerryErrors through `errors` (status -> class)
    and `describe` (response -> the system's own message).
    """

    def __init__(
        self,
        base_url: str,
        *,
        system: str,
        auth: Auth | None = None,
        timeout: float = 30.0,
        verify: bool | str | ssl.SSLContext = True,
        max_connections: int = 64,
        rate_limit: TokenBucket | None = None,
        errors: ErrorTable | None = None,
        describe: Callable[[Response], str | None] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.system = system
        self.auth = auth
        self.rate_limit = rate_limit
        self.errors = errors
        self.describe = describe
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._ssl = _ssl_context(verify)
        self._max_connections = max_connections
        self._headers = {"User-Agent": f"ferry/{__version__}", "Accept": "application/json", **(headers or {})}
        self._session: aiohttp.ClientSession | None = None
        self.requests = 0
        #: Health of the connection this client serves (shared by its clients; see `http/stats.py`).
        self.stats: ConnectionStats = stats_for(system)
        if rate_limit is not None:
            self.stats.buckets.append(rate_limit)

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        if ".." in path:  # only then does joining differ from appending (and urljoin is slow)
            return urljoin(self.base_url, path.lstrip("/"))
        return self.base_url + path.lstrip("/")

    def _session_for_loop(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._max_connections, ssl=self._ssl)
            self._session = aiohttp.ClientSession(connector=connector, timeout=self._timeout)
        return self._session

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
        json: Any = None,
        content: bytes | str | None = None,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        basic_auth: tuple[str, str] | None = None,
        ok: Container[int] | None = None,
        authenticate: bool = True,
    ) -> Response:
        """Send one request; raise the FerryError for a failure unless its status is in `ok`."""
        url = self.url(path)
        body: Any = content
        merged = dict(self._headers)
        if json is not None:
            body = jsoncodec.dumps(json)
            merged["Content-Type"] = "application/json"
        elif form is not None:
            body = form
        merged.update(headers or {})
        signed = authenticate and self.auth is not None
        for attempt in (1, 2):
            if signed and self.auth is not None:
                try:
                    merged.update(await self.auth.headers(self))
                except AuthError as exc:  # the token endpoint refused the credentials
                    self.stats.auth_failed(exc.message)
                    raise
            if self.rate_limit is not None:
                await self.rate_limit.acquire()
            response = await self._send(method, url, params, body, merged, basic_auth, signed)
            if response.status == 401 and authenticate and self.auth is not None and attempt == 1:
                self.auth.invalidate()  # the token may have expired early or been revoked: fetch a new one once
                continue
            break
        if response.ok or (ok is not None and response.status in ok):
            return response
        error = classify(response, system=self.system, table=self.errors, message=self.describe)
        if response.status == 429 and self.rate_limit is not None and isinstance(error, TransientError):
            self.rate_limit.penalise(error.retry_after or 1.0)
        if isinstance(error, AuthError) and signed:
            error.message += " Check the connection's credentials."
            self.stats.auth_failed(error.message)
        self.stats.failed(error.message)
        raise error

    async def _send(
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | Sequence[tuple[str, str]] | None,
        body: Any,
        headers: Mapping[str, str],
        basic_auth: tuple[str, str] | None,
        signed: bool = False,
    ) -> Response:
        session = self._session_for_loop()
        auth = aiohttp.BasicAuth(*basic_auth) if basic_auth else None
        where = url.split("?")[0]  # query strings may carry keys: never in errors or spans
        self.requests += 1
        # A span only while tracing is on (`core/tracing.py`); otherwise a context that does nothing.
        attributes = (
            {}
            if tracing.tracer is None
            else {"ferry.connection": self.stats.connection, "http.request.method": method, "url.full": where}
        )
        with tracing.span(f"{method} {self.stats.connection}", attributes) as span:
            try:
                async with session.request(method, url, params=params, data=body, headers=headers, auth=auth) as r:
                    payload = await r.read()
                    found = {k.lower(): ", ".join(r.headers.getall(k)) for k in r.headers}
            except (TimeoutError, aiohttp.ClientError) as exc:
                error = TransientError(
                    f"{self.system} could not be reached at {where}: {type(exc).__name__} {exc}".rstrip(), url=where
                )
                self.stats.unreachable(error.message)
                raise error from None
            if span is not None:
                span.set_attribute("http.response.status_code", r.status)
        self.stats.answered(r.status, found, authenticated=signed)
        return Response(r.status, r.reason or "", found, payload, str(r.url))

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _ssl_context(verify: bool | str | ssl.SSLContext) -> ssl.SSLContext | bool:
    if isinstance(verify, ssl.SSLContext):
        return verify
    if isinstance(verify, str):
        return ssl.create_default_context(cafile=verify)
    return ssl.create_default_context() if verify else False
