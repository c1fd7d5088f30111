"""The TIMS wire protocol (`specs/tims-api.md`), and nothing else.

Every URL, header and body shape TIMS defines lives here, so that an adapter for TIMS's partner API
can replace this module without touching the connector's cursor, write or webhook logic.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from ferry.connectors.tims.config import TimsConfig
from ferry.connectors.tims.errors import ERRORS, RECORD_STATUSES, SYSTEM, describe_problem, problem_error
from ferry.core.errors import ConfigError
from ferry.http import Auth, ClientCredentials, HeaderAuth, HttpClient, Response, TokenBucket

API_PATH = "/api/v1/"
TOKEN_PATH = "/oauth/token"
MAX_PAGE_SIZE = 500


def auth_for(config: TimsConfig) -> Auth:
    """`X-API-Key` when an API key is set, else OAuth 2.0 client credentials at `{url}/oauth/token`."""
    if config.api_key is not None:
        return HeaderAuth("X-API-Key", config.api_key.get_secret_value())
    if not (config.client_id and config.client_secret):
        raise ConfigError("A TIMS connection needs api_key, or client_id with client_secret.")
    token_url = config.url.rstrip("/") + TOKEN_PATH
    return ClientCredentials(token_url, config.client_id, config.client_secret.get_secret_value())


def http_client(config: TimsConfig) -> HttpClient:
    """The HTTP client of one TIMS connection: base `{url}/api/v1/`, auth, rate limit, TLS, errors."""
    rate = config.max_requests_per_second
    return HttpClient(
        config.url.rstrip("/") + API_PATH,
        system=SYSTEM,
        auth=auth_for(config),
        timeout=config.timeout_seconds,
        verify=config.verify_tls,
        rate_limit=TokenBucket(rate, burst=max(1, math.ceil(rate))),
        errors=ERRORS,
        describe=describe_problem,
    )


@dataclass(frozen=True, slots=True)
class ListPage:
    """One page of a collection list."""

    rows: list[dict[str, Any]]
    next_page: int | None
    total: int | None
    #: `X-RateLimit-Remaining` of the answer.
    rate_limit_remaining: int | None = None


@dataclass(frozen=True, slots=True)
class Written:
    """A record as a write left it."""

    row: dict[str, Any]
    #: The `ETag` (without quotes), which is the record's `Version`.
    version: str | None
    #: TIMS answered from its idempotency cache: an earlier request with this key did the work.
    replayed: bool = False


class TimsClient:
    """Calls to the TIMS REST API; failures come back as FerryErrors carrying the problem details."""

    def __init__(self, http: HttpClient) -> None:
        self.http = http

    async def list_page(
        self,
        collection: str,
        *,
        modified_since: str | None = None,
        page: int = 1,
        page_size: int = 100,
        include_inactive: bool = False,
        filters: Mapping[str, Any] | None = None,
    ) -> ListPage:
        """`GET /{collection}`: records ordered by `ModifiedAt`, then id.

        A filter value that is a list or tuple matches any of its values (the parameter repeated).
        """
        params: list[tuple[str, str]] = []
        for name, value in (filters or {}).items():
            values = value if isinstance(value, list | tuple) else [value]
            params += [(name, query_value(v)) for v in values]
        params += [("page", str(page)), ("pageSize", str(min(max(page_size, 1), MAX_PAGE_SIZE)))]
        if modified_since is not None:
            params.append(("modifiedSince", modified_since))
        if include_inactive:
            params.append(("includeInactive", "true"))
        response = await self._call("GET", collection, params=params)
        body = response.json()
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise problem_error(response)
        return ListPage(
            rows=[row for row in body["data"] if isinstance(row, dict)],
            next_page=body.get("nextPage"),
            total=body.get("total"),
            rate_limit_remaining=_int(response.headers.get("x-ratelimit-remaining")),
        )

    async def get(self, collection: str, record_id: str) -> Written | None:
        """`GET /{collection}/{id}`, or None when TIMS has no such record."""
        response = await self._call("GET", record_path(collection, record_id), missing_ok=True)
        if response.status == 404:
            return None
        return _written(response)

    async def create(self, collection: str, body: Mapping[str, Any], *, idempotency_key: str) -> Written:
        """`POST /{collection}` with an `Idempotency-Key`: a repeat within 24 h returns the first record."""
        response = await self._call("POST", collection, json=dict(body), headers={"Idempotency-Key": idempotency_key})
        return _written(response)

    async def update(
        self, collection: str, record_id: str, changes: Mapping[str, Any], *, if_match: str | None = None
    ) -> Written:
        """`PATCH /{collection}/{id}`: the fields sent change, nested objects and lists are replaced whole."""
        headers = {"If-Match": etag(if_match)} if if_match is not None else None
        response = await self._call("PATCH", record_path(collection, record_id), json=dict(changes), headers=headers)
        return _written(response)

    async def delete(self, collection: str, record_id: str, *, if_match: str | None = None) -> str | None:
        """`DELETE /{collection}/{id}` (soft: `Status` becomes `Inactive`); the version it left."""
        headers = {"If-Match": etag(if_match)} if if_match is not None else None
        response = await self._call("DELETE", record_path(collection, record_id), headers=headers)
        return _unquote(response.headers.get("etag"))

    async def webhooks(self) -> list[dict[str, Any]]:
        """Every webhook subscription (`GET /webhooks`, all pages)."""
        found: list[dict[str, Any]] = []
        page: int | None = 1
        while page is not None:
            response = await self._call("GET", "webhooks", params={"page": str(page), "pageSize": "100"})
            body = response.json()
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise problem_error(response)
            found.extend(row for row in body["data"] if isinstance(row, dict))
            page = body.get("nextPage")
        return found

    async def create_webhook(self, url: str, events: Sequence[str], secret: str) -> dict[str, Any]:
        """`POST /webhooks`; the answer holds `WebhookID` (the secret is never echoed)."""
        response = await self._call("POST", "webhooks", json={"url": url, "events": list(events), "secret": secret})
        body = response.json()
        return body if isinstance(body, dict) else {}

    async def delete_webhook(self, webhook_id: str) -> bool:
        """`DELETE /webhooks/{id}`; False when it was already gone."""
        response = await self._call("DELETE", f"webhooks/{quote(webhook_id, safe='')}", missing_ok=True)
        return response.status != 404

    async def _call(self, method: str, path: str, *, missing_ok: bool = False, **kwargs: Any) -> Response:
        # Record-level statuses come back as responses so their problem bodies can be read here;
        # the rest (401, 403, 429, 5xx, network) the seam raises directly.
        response = await self.http.request(method, path, ok=RECORD_STATUSES, **kwargs)
        if response.ok or (missing_ok and response.status == 404):
            return response
        raise problem_error(response)


def record_path(collection: str, record_id: str) -> str:
    """`customers/10001`; inventory rows are addressed as `inventory/{SKU}/{Warehouse}`."""
    parts = record_id.split("/") if collection == "inventory" else [record_id]
    return "/".join([collection, *(quote(part, safe="") for part in parts)])


def query_value(value: Any) -> str:
    """A filter value as TIMS reads it: `true`/`false`, exact decimals, UTC times; None matches empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return format_time(value)
    return str(value)


def format_time(value: datetime) -> str:
    """`2026-11-22T08:15:30.250Z`, the form TIMS writes."""
    value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S") + f".{value.microsecond // 1000:03d}Z"


def parse_time(value: object) -> datetime | None:
    """An aware datetime from TIMS's ISO 8601 text; None when absent or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def etag(version: str) -> str:
    """An `If-Match` value from a version: `3` -> `"3"`; quoted, weak and `*` values pass through."""
    version = version.strip()
    if version == "*" or version.startswith(('"', "W/")):
        return version
    return f'"{version}"'


def _written(response: Response) -> Written:
    body = response.json()
    row = body if isinstance(body, dict) else {}
    version = _unquote(response.headers.get("etag"))
    if version is None and row.get("Version") is not None:
        version = str(row["Version"])
    return Written(row, version, replayed=response.headers.get("idempotent-replayed") == "true")


def _unquote(tag: str | None) -> str | None:
    return tag.removeprefix("W/").strip('"') if tag else None


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None
