"""`DataverseConnector`: Dynamics 365 (Dataverse Web API, OData v4) behind ferry's connector contract."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel

from ferry.connectors.contract import Connector, EntitySchema, Health, WebhookSource
from ferry.connectors.dynamics365.batch import BatchRequest
from ferry.connectors.dynamics365.client import MAX_BATCH_REQUESTS, DataverseClient, http_client
from ferry.connectors.dynamics365.config import DataverseConfig
from ferry.connectors.dynamics365.entities import Catalog, definition_paths, entity_schema, parse_csdl
from ferry.connectors.dynamics365.reads import Expand, Reader, ReadOptions
from ferry.connectors.dynamics365.webhooks import DataverseWebhooks
from ferry.connectors.dynamics365.writes import Writer
from ferry.core.errors import FerryError
from ferry.core.records import Page, Record, WriteOp, WriteResult
from ferry.http import HttpClient

BURST_HEADER = "x-ms-ratelimit-burst-remaining-xrm-requests"


class DataverseConnector:
    """One Dataverse environment, reached with an app registration (client credentials).

    Entities are entity sets (`accounts`, `contacts`). `read`, `get` and `find` take the sync's
    options as keywords: `select` (columns), `expand` (single-valued lookups to nest, e.g.
    `["primarycontactid"]` or `{"primarycontactid": ["firstname", "lastname"]}`) and `filter`
    (an OData `$filter`).
    """

    name: ClassVar[str] = "dynamics365"
    Config: ClassVar[type[BaseModel]] = DataverseConfig
    #: Reads take `select`: the engine asks for the columns its mappings use (`$select`).
    selects_columns: ClassVar[bool] = True
    #: Dataverse pushes changes through webhooks (service endpoints and processing steps).
    webhooks: WebhookSource | None

    def __init__(self, config: DataverseConfig, *, http: HttpClient | None = None) -> None:
        self.config = config
        self.client = DataverseClient(http if http is not None else http_client(config))
        self._catalog: Catalog | None = None
        self._catalog_lock = asyncio.Lock()
        self._reader = Reader(self.client, self.catalog, config.page_size)
        self._writer = Writer(self.client, self.catalog, config.batch_size)
        self.hooks = DataverseWebhooks(self.client, self.catalog, lambda: self._catalog)
        self.webhooks = self.hooks

    @classmethod
    def from_config(cls, config: DataverseConfig | Mapping[str, Any]) -> DataverseConnector:
        """Build from a config model or its fields (the HTTP client is built from them too)."""
        return cls(config if isinstance(config, DataverseConfig) else DataverseConfig.model_validate(config))

    def __repr__(self) -> str:
        return f"DataverseConnector(url={self.config.url!r}, client_id={self.config.client_id!r})"

    async def catalog(self) -> Catalog:
        """The environment's tables, read from `$metadata` once per connection."""
        if self._catalog is None:
            async with self._catalog_lock:
                if self._catalog is None:
                    response = await self.client.request(
                        "GET", "$metadata", params={"annotations": "true"}, headers={"Accept": "application/xml"}
                    )
                    # A real environment's CSDL runs to megabytes: parse it off the event loop.
                    self._catalog = await asyncio.to_thread(parse_csdl, response.body)
        return self._catalog

    # --- the contract ---------------------------------------------------------------------------------

    async def check(self) -> Health:
        """Fetch a token and call `WhoAmI`; report, never raise."""
        try:
            response = await self.client.request("GET", "WhoAmI")
        except FerryError as exc:
            return Health(False, exc.message, extra={"error": type(exc).__name__})
        body = response.json() or {}
        remaining = response.headers.get(BURST_HEADER)
        return Health(
            True,
            f"Connected to {self.config.url} as user {body.get('UserId')}.",
            rate_limit_remaining=int(remaining) if remaining and remaining.isdigit() else None,
            extra={k: body.get(k) for k in ("UserId", "BusinessUnitId", "OrganizationId")},
        )

    async def describe(self, *, entities: Sequence[str] | None = None) -> list[EntitySchema]:
        """Every entity set (or those named), with types, keys, lookups and choices.

        Required levels, read-only columns, lengths and choice labels come from `EntityDefinitions`,
        fetched for all the tables at once in `$batch`es of GETs.
        """
        catalog = await self.catalog()
        tables = [catalog.table(e) for e in entities] if entities else list(catalog.by_set.values())
        paths = [[self.client.url(p) for p in definition_paths(t)] for t in tables]
        flat = [url for urls in paths for url in urls]
        answers: list[Any] = []
        for start in range(0, len(flat), MAX_BATCH_REQUESTS):
            parts = [BatchRequest("GET", url) for url in flat[start : start + MAX_BATCH_REQUESTS]]
            for answer in await self.client.batch(parts):
                ok = [p for p in answer if p.ok]
                answers.append(ok[0].json() if ok else None)  # a table without some metadata still describes
        schemas, at = [], 0
        for table, urls in zip(tables, paths, strict=True):
            schemas.append(entity_schema(table, catalog, answers[at : at + len(urls)]))
            at += len(urls)
        return schemas

    async def read(
        self,
        entity: str,
        cursor: str | None,
        *,
        page_size: int | None = None,
        select: Sequence[str] | None = None,
        expand: Expand | None = None,
        filter: str | None = None,
    ) -> Page:
        """Rows changed since `cursor` through change tracking (every row when it is None).

        Raises `CursorExpiredError` when Dataverse has dropped the delta token (after 7 days by
        default): read again with no cursor.
        """
        return await self._reader.read(entity, cursor, page_size, ReadOptions.of(select, expand, filter))

    async def get(
        self,
        entity: str,
        record_id: str,
        *,
        select: Sequence[str] | None = None,
        expand: Expand | None = None,
        filter: str | None = None,
    ) -> Record | None:
        """The row, or None if it does not exist (or does not match `filter`)."""
        return await self._reader.get(entity, record_id, ReadOptions.of(select, expand, filter))

    async def find(
        self,
        entity: str,
        match: Mapping[str, Any],
        *,
        select: Sequence[str] | None = None,
        expand: Expand | None = None,
        filter: str | None = None,
    ) -> list[Record]:
        """Rows whose columns equal every value in `match` (and that match `filter`)."""
        return await self._reader.find(entity, match, ReadOptions.of(select, expand, filter))

    async def write(self, ops: Sequence[WriteOp]) -> list[WriteResult]:
        """Apply the ops in `$batch`es of `batch_size`; one result per op, in order."""
        if not ops:
            return []
        return await self._writer.write(ops)

    async def aclose(self) -> None:
        await self.client.aclose()


if TYPE_CHECKING:

    def _fits_the_contract(connector: DataverseConnector) -> Connector:
        return connector  # mypy checks DataverseConnector against the Connector protocol here
