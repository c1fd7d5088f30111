"""`TimsConnector`: the TIMS ERP REST API (`specs/tims-api.md`) behind ferry's connector contract."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel

from ferry.connectors.contract import EntitySchema, Health, WebhookSource
from ferry.connectors.tims.client import TimsClient, http_client
from ferry.connectors.tims.config import TimsConfig
from ferry.connectors.tims.cursors import TimsCursor, read_changes
from ferry.connectors.tims.entities import SCHEMAS, to_record
from ferry.connectors.tims.finds import FindBatcher
from ferry.connectors.tims.webhooks import TimsWebhooks
from ferry.connectors.tims.writes import TimsWriter
from ferry.core.errors import ConfigError, FerryError
from ferry.core.records import Page, Record, WriteOp, WriteResult
from ferry.http import HttpClient

if TYPE_CHECKING:
    from ferry.connectors.contract import Connector


class TimsConnector:
    """A connection to one TIMS server, by API key or OAuth client credentials.

    Pass `http` to share or instrument the HTTP client (the connector then leaves closing it to
    you); otherwise one is built from the config and closed by `aclose()`.
    """

    name: ClassVar[str] = "tims"
    Config: ClassVar[type[BaseModel]] = TimsConfig
    #: Writes in flight at once; the connection's token bucket still paces every request.
    write_concurrency: ClassVar[int] = 16

    webhooks: WebhookSource | None

    def __init__(
        self,
        config: TimsConfig,
        *,
        http: HttpClient | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self._owns_http = http is None
        self.http = http if http is not None else http_client(config)
        self.client = TimsClient(self.http)
        self.webhooks = TimsWebhooks(self.client, clock=clock, default_secret=config.webhook_secret)
        self._writer = TimsWriter(self.client, concurrency=self.write_concurrency)
        self._finds = FindBatcher(self.client, page_size=config.page_size)

    def __repr__(self) -> str:
        return f"TimsConnector({self.config.url})"

    async def check(self) -> Health:
        """Read one customer; report the rate-limit headroom, or why TIMS could not be used."""
        try:
            listed = await self.client.list_page("customers", page_size=1)
        except FerryError as exc:
            return Health(ok=False, detail=exc.message, extra={"error": type(exc).__name__})
        return Health(
            ok=True,
            detail=f"TIMS at {self.config.url} answered ({listed.total} customers).",
            rate_limit_remaining=listed.rate_limit_remaining,
            extra={"auth": "api_key" if self.config.api_key is not None else "oauth_client_credentials"},
        )

    async def describe(self) -> list[EntitySchema]:
        """The collections of the TIMS contract (TIMS serves no metadata)."""
        return list(SCHEMAS.values())

    async def read(
        self,
        entity: str,
        cursor: str | None,
        *,
        page_size: int | None = None,
        match: Mapping[str, Any] | None = None,
    ) -> Page:
        """Records changed since `cursor`, soft-deleted ones with `deleted=True` (and their data).

        `match` narrows the read to records whose scalar fields equal the given values (TIMS's
        exact-match filters), e.g. `{"Currency": "USD"}`; keep it the same for one cursor.
        """
        _known(entity)
        size = page_size if page_size is not None else self.config.page_size
        return await read_changes(self.client, entity, TimsCursor.decode(cursor), size, match)

    async def get(self, entity: str, record_id: str) -> Record | None:
        _known(entity)
        written = await self.client.get(entity, record_id)
        return None if written is None else to_record(entity, written.row)

    async def find(self, entity: str, match: Mapping[str, Any], *, include_deleted: bool = False) -> list[Record]:
        """Records whose fields equal every value in `match` (`ExternalID`, `Email`, `SKU`...)."""
        _known(entity)
        if len(match) == 1:
            [(field, value)] = match.items()
            if not isinstance(value, list | tuple | dict):
                rows = await self._finds.find(entity, field, value, include_inactive=include_deleted)
                return [to_record(entity, row) for row in rows]
        found: list[Record] = []
        page: int | None = 1
        while page is not None:
            listed = await self.client.list_page(
                entity, filters=match, page=page, page_size=self.config.page_size, include_inactive=include_deleted
            )
            found.extend(to_record(entity, row) for row in listed.rows)
            page = listed.next_page
        return found

    async def write(self, ops: Sequence[WriteOp]) -> list[WriteResult]:
        for op in ops:
            _known(op.entity)
        return await self._writer.write(ops)

    async def aclose(self) -> None:
        if self._owns_http:
            await self.http.aclose()


def _known(entity: str) -> None:
    if entity not in SCHEMAS:
        raise ConfigError(f"TIMS has no entity '{entity}'. Its entities are: {', '.join(SCHEMAS)}.")


if TYPE_CHECKING:

    def _conforms(connector: TimsConnector) -> Connector:
        return connector  # mypy proves TimsConnector meets the contract
