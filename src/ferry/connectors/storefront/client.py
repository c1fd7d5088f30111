"""The Shopify Admin REST wire protocol (`/admin/api/{version}/...json`), and nothing else.

Every URL, header and body shape lives here: the access-token header, the `{root: {...}}` bodies,
cursor paging through the `Link` header, and the leaky bucket the shop reports in
`X-Shopify-Shop-Api-Call-Limit`.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from ferry.connectors.storefront.config import StorefrontConfig
from ferry.connectors.storefront.errors import ERRORS, RECORD_STATUSES, SYSTEM, describe, shopify_error
from ferry.http import HeaderAuth, HttpClient, Response, TokenBucket

MAX_PAGE_SIZE = 250
TOKEN_HEADER = "X-Shopify-Access-Token"
CALL_LIMIT_HEADER = "x-shopify-shop-api-call-limit"
_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?([a-z]+)"?')


def http_client(config: StorefrontConfig) -> HttpClient:
    """The HTTP client of one shop: base `{url}/admin/api/{version}/`, token, leaky bucket, TLS, errors."""
    return HttpClient(
        f"{config.url.rstrip('/')}/admin/api/{config.api_version}/",
        system=SYSTEM,
        auth=HeaderAuth(TOKEN_HEADER, config.access_token.get_secret_value()),
        timeout=config.timeout_seconds,
        verify=config.verify_tls,
        # Shopify's leaky bucket is a token bucket seen from the client: `bucket_size` deep,
        # refilling `leak_rate` a second.
        rate_limit=TokenBucket(config.leak_rate, burst=config.bucket_size),
        errors=ERRORS,
        describe=describe,
    )


@dataclass(frozen=True, slots=True)
class CallLimit:
    """`X-Shopify-Shop-Api-Call-Limit: 12/40`: calls in the bucket, and its size."""

    used: int
    limit: int

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    @classmethod
    def parse(cls, value: str | None) -> CallLimit | None:
        if not value or "/" not in value:
            return None
        used, _, limit = value.partition("/")
        if not (used.strip().isdigit() and limit.strip().isdigit()):
            return None
        return cls(int(used), int(limit))


@dataclass(frozen=True, slots=True)
class ListPage:
    """One page of a list: its rows and the absolute URL of the next page (from `Link`), if any."""

    rows: list[dict[str, Any]]
    next_url: str | None
    call_limit: CallLimit | None = None
    #: The response's `Date`, the shop's clock when it answered.
    served_at: datetime | None = None


class StorefrontClient:
    """Calls to the Admin REST API; failures come back as FerryErrors carrying Shopify's `errors`."""

    def __init__(self, http: HttpClient) -> None:
        self.http = http
        self.last_call_limit: CallLimit | None = None

    async def list_page(
        self, path: str, root: str, *, params: Mapping[str, str] | None = None, next_url: str | None = None
    ) -> ListPage:
        """One page of `GET {path}` with `params`, or the page `next_url` names (its token carries the filters)."""
        if next_url is not None:
            response = await self._call("GET", next_url)
        else:
            response = await self._call("GET", path, params=dict(params or {}))
        rows = _rows(response, root)
        return ListPage(rows, links(response.headers.get("link")).get("next"), self.last_call_limit, _date(response))

    async def pages(
        self, path: str, root: str, params: Mapping[str, str] | None = None
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Every page of a list, one at a time (nothing is gathered)."""
        page = await self.list_page(path, root, params=params)
        yield page.rows
        while page.next_url is not None:
            page = await self.list_page(path, root, next_url=page.next_url)
            yield page.rows

    async def get(self, path: str, root: str) -> dict[str, Any] | None:
        """`GET {path}` as the object under `root`, or None for 404."""
        response = await self._call("GET", path, missing_ok=True)
        if response.status == 404:
            return None
        return _one(response, root)

    async def send_get(self, path: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """`GET {path}` as its whole JSON body (for answers with no single root, such as fulfillment orders)."""
        response = await self._call("GET", path, params=dict(params or {}))
        body = response.json()
        return body if isinstance(body, dict) else {}

    async def send(self, method: str, path: str, root: str | None, body: Mapping[str, Any]) -> dict[str, Any]:
        """`POST`/`PUT` a JSON body; the object under `root` of the answer (the whole body when None)."""
        response = await self._call(method, path, json=dict(body))
        return _one(response, root) if root else (response.json() or {})

    async def delete(self, path: str) -> bool:
        """`DELETE {path}`; False when it was already gone."""
        response = await self._call("DELETE", path, missing_ok=True)
        return response.status != 404

    async def _call(self, method: str, path: str, *, missing_ok: bool = False, **kwargs: Any) -> Response:
        # Record-level statuses come back as responses so their `errors` bodies can be read here;
        # the rest (401, 403, 429, 5xx, network) the seam raises directly.
        response = await self.http.request(method, path, ok=RECORD_STATUSES, **kwargs)
        self._observe(response)
        if response.ok or (missing_ok and response.status == 404):
            return response
        raise shopify_error(response)

    def _observe(self, response: Response) -> None:
        """Keep the client's bucket no fuller than the shop says: other apps may share its bucket."""
        limit = CallLimit.parse(response.headers.get(CALL_LIMIT_HEADER))
        if limit is None:
            return
        self.last_call_limit = limit
        if self.http.rate_limit is not None:
            self.http.rate_limit.cap(limit.remaining)


def links(header: str | None) -> dict[str, str]:
    """`<https://...page_info=x>; rel="next", <...>; rel="previous"` as {"next": url, "previous": url}."""
    return {rel: url for url, rel in _LINK.findall(header or "")}


def format_time(value: datetime) -> str:
    """ISO 8601 with offset, whole seconds: the form `updated_at_min` takes."""
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return value.isoformat(timespec="seconds")


def parse_time(value: object) -> datetime | None:
    """An aware datetime from Shopify's ISO 8601 text (`2025-03-01T10:30:00-05:00`); None when absent."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def ids_param(ids: Sequence[int | str]) -> str:
    return ",".join(str(i) for i in ids)


def _rows(response: Response, root: str) -> list[dict[str, Any]]:
    body = response.json()
    rows = body.get(root) if isinstance(body, dict) else None
    if not isinstance(rows, list):
        raise shopify_error(response)
    return [row for row in rows if isinstance(row, dict)]


def _one(response: Response, root: str) -> dict[str, Any]:
    body = response.json()
    value = body.get(root) if isinstance(body, dict) else None
    return value if isinstance(value, dict) else {}


def _date(response: Response) -> datetime | None:
    raw = response.headers.get("date")
    if not raw:
        return None
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
