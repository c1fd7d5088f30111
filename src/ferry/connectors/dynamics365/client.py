"""The Dataverse Web API on the wire: OData headers, `Prefer`, `$batch`, through ferry's HTTP seam."""

from __future__ import annotations

from collections.abc import Container, Mapping, Sequence
from typing import Any

from ferry.connectors.dynamics365 import batch
from ferry.connectors.dynamics365.config import DataverseConfig
from ferry.connectors.dynamics365.errors import ERRORS, SYSTEM, describe
from ferry.http import ClientCredentials, HttpClient, Response, TokenBucket

ODATA_HEADERS = {"OData-MaxVersion": "4.0", "OData-Version": "4.0", "Accept": "application/json"}
#: Dataverse refuses more than 1,000 requests in one `$batch`.
MAX_BATCH_REQUESTS = 1000
#: Dataverse allows 52 concurrent requests per user; stay just under.
MAX_CONNECTIONS = 50


def http_client(config: DataverseConfig) -> HttpClient:
    """An `HttpClient` for the environment: Entra ID client credentials, the rate limit, TLS settings."""
    url = config.url.rstrip("/")
    auth = ClientCredentials(
        f"{config.authority_host.rstrip('/')}/{config.tenant}/oauth2/v2.0/token",
        config.client_id,
        config.client_secret.get_secret_value(),
        scope=f"{url}/.default",
    )
    rate = config.max_requests_per_second
    return HttpClient(
        f"{url}/api/data/{config.api_version}/",
        system=SYSTEM,
        auth=auth,
        timeout=config.timeout_seconds,
        verify=config.verify_tls,
        max_connections=MAX_CONNECTIONS,
        rate_limit=TokenBucket(rate, burst=max(1, int(rate))),
        errors=ERRORS,
        describe=describe,
        headers=ODATA_HEADERS,
    )


def prefer(*values: str) -> dict[str, str]:
    return {"Prefer": ",".join(v for v in values if v)} if any(values) else {}


class DataverseClient:
    """Requests against one environment's Web API root."""

    def __init__(self, http: HttpClient) -> None:
        self.http = http
        if http.describe is None:  # a client built elsewhere still reads Dataverse's error bodies
            http.describe = describe

    @property
    def root(self) -> str:
        return self.http.base_url

    def relative(self, url: str) -> str:
        """A URL the service returned, relative to the API root when it lies below it."""
        return url[len(self.root) :] if url.startswith(self.root) else url

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        ok: Container[int] | None = None,
    ) -> Response:
        merged = {**ODATA_HEADERS, **(headers or {})}
        if method == "GET":
            merged.setdefault("If-None-Match", "null")  # defeats caching of expanded collections
        return await self.http.request(method, path, params=params, json=json, headers=merged, ok=ok)

    async def get_json(
        self, path: str, params: Mapping[str, str] | None = None, *, headers: Mapping[str, str] | None = None
    ) -> Any:
        return (await self.request("GET", path, params=params, headers=headers)).json()

    async def batch(self, parts: Sequence[batch.Part]) -> list[list[batch.PartResponse]]:
        """Send one `$batch` with `odata.continue-on-error`; one entry per part, in order.

        A batch counts as one request against Dataverse's request limit (its execution time counts in
        full), so the client-side rate limit charges it once.
        """
        content_type, body = batch.encode(parts)
        response = await self.http.request(
            "POST",
            "$batch",
            content=body,
            headers={**ODATA_HEADERS, "Content-Type": content_type, "Prefer": "odata.continue-on-error"},
        )
        return batch.decode(response.headers.get("content-type", ""), response.body)

    def url(self, path: str) -> str:
        return self.http.url(path)

    async def aclose(self) -> None:
        await self.http.aclose()
