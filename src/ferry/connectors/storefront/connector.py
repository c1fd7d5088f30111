"""`StorefrontConnector`: a Shopify shop's Admin REST API behind ferry's connector contract."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from pydantic import BaseModel

from ferry.connectors.contract import EntitySchema, Health, WebhookSource
from ferry.connectors.storefront.client import (
    MAX_PAGE_SIZE,
    StorefrontClient,
    http_client,
    ids_param,
    parse_time,
)
from ferry.connectors.storefront.config import StorefrontConfig
from ferry.connectors.storefront.cursors import StorefrontCursor, read_changes
from ferry.connectors.storefront.entities import RESOURCES, SCHEMAS, to_record
from ferry.connectors.storefront.webhooks import StorefrontWebhooks
from ferry.connectors.storefront.writes import StorefrontWriter
from ferry.core.errors import ConfigError, FerryError, ValidationError
from ferry.core.records import Page, Record, WriteOp, WriteResult
from ferry.http import HttpClient

if TYPE_CHECKING:
    from ferry.connectors.contract import Connector

#: Shopify lists inventory levels for at most 50 locations per request.
MAX_LOCATIONS = 50
#: A SKU the shop did not have is looked for again (a fresh scan of products) no sooner than this.
SKU_RESCAN_SECONDS = 60.0


class StorefrontConnector:
    """A connection to one Shopify shop, by Admin API access token.

    Pass `http` to share or instrument the HTTP client (the connector then leaves closing it to
    you); otherwise one is built from the config and closed by `aclose()`.
    """

    name: ClassVar[str] = "storefront"
    Config: ClassVar[type[BaseModel]] = StorefrontConfig
    #: Writes in flight at once; the shop's bucket (2 a second) paces them anyway.
    write_concurrency: ClassVar[int] = 4

    webhooks: WebhookSource | None

    def __init__(self, config: StorefrontConfig, *, http: HttpClient | None = None) -> None:
        self.config = config
        self._owns_http = http is None
        self.http = http if http is not None else http_client(config)
        self.client = StorefrontClient(self.http)
        self.webhooks = StorefrontWebhooks(
            self.client, default_secret=config.webhook_secret, api_version=config.api_version
        )
        self._writer = StorefrontWriter(self.client, self._inventory_item_for_sku, concurrency=self.write_concurrency)
        self._skus: dict[str, int] = {}
        self._skus_read_at: float | None = None
        self._sku_lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"StorefrontConnector({self.config.url})"

    async def check(self) -> Health:
        """Read the shop; report the bucket's headroom, or why the shop could not be used."""
        try:
            shop = await self.client.get("shop.json?fields=name,myshopify_domain,currency,iana_timezone", "shop")
        except FerryError as exc:
            return Health(ok=False, detail=exc.message, extra={"error": type(exc).__name__})
        limit = self.client.last_call_limit
        name = (shop or {}).get("name") or self.config.url
        return Health(
            ok=True,
            detail=f"Storefront {name} answered (API {self.config.api_version}).",
            rate_limit_remaining=limit.remaining if limit else None,
            extra={k: v for k, v in (shop or {}).items() if k in ("myshopify_domain", "currency", "iana_timezone")},
        )

    async def describe(self) -> list[EntitySchema]:
        """The entities this connector covers (Shopify's REST API serves no metadata)."""
        return list(SCHEMAS.values())

    async def read(self, entity: str, cursor: str | None, *, page_size: int | None = None) -> Page:
        """Records changed since `cursor`, oldest walk first (see `cursors.py`); locations are rescanned."""
        _known(entity)
        size = max(1, min(page_size or self.config.page_size, MAX_PAGE_SIZE))
        if entity == "locations":
            return Page(records=[to_record(entity, row) for row in await self._locations()], cursor=None, more=False)
        state = StorefrontCursor.decode(cursor)
        if entity == "inventory_levels":
            extra = None if state.next else {"location_ids": ids_param(await self._location_ids())}
            return await read_changes(self.client, entity, state, size, extra=extra)
        if entity == "fulfillments":
            return await read_changes(self.client, entity, state, size, expand=_fulfillments_of)
        return await read_changes(self.client, entity, state, size)

    async def get(self, entity: str, record_id: str) -> Record | None:
        _known(entity)
        if entity == "inventory_levels":
            item, _, location = record_id.partition("/")
            rows = await self._levels({"inventory_item_id": item, "location_id": location})
            return to_record(entity, rows[0]) if rows else None
        if entity == "fulfillments":
            order, _, fulfillment = record_id.rpartition("/")
            if not order:
                raise ValidationError(
                    "Shopify reads a fulfillment through its order: get it as `<order_id>/<fulfillment_id>`."
                )
            row = await self.client.get(f"orders/{_seg(order)}/fulfillments/{_seg(fulfillment)}.json", "fulfillment")
            return None if row is None else to_record(entity, row)
        if not record_id.isdigit():
            return None  # Shopify ids are numbers; anything else names no record
        resource = RESOURCES[entity]
        row = await self.client.get(f"{resource.path}/{record_id}.json", resource.singular)
        return None if row is None else to_record(entity, row)

    async def find(self, entity: str, match: Mapping[str, Any]) -> list[Record]:
        """Records whose fields equal every value in `match` (a customer's `email`, a product's `handle`...)."""
        _known(entity)
        if entity == "locations":
            rows = [r for r in await self._locations() if all(str(r.get(k)) == str(v) for k, v in match.items())]
        elif entity == "inventory_levels":
            rows = await self._levels(match)
        elif entity == "fulfillments":
            if "order_id" not in match:
                raise ValidationError("Find storefront fulfillments by their order_id.")
            rows = []
            path = f"orders/{_seg(str(match['order_id']))}/fulfillments.json"
            async for page in self.client.pages(path, "fulfillments", {"limit": "250"}):
                rows += [r for r in page if all(str(r.get(k)) == str(v) for k, v in match.items())]
        else:
            rows = await self._writer.find_rows(entity, match)
        return [to_record(entity, row) for row in rows]

    async def write(self, ops: Sequence[WriteOp]) -> list[WriteResult]:
        for op in ops:
            _known(op.entity)
        return await self._writer.write(ops)

    async def aclose(self) -> None:
        if self._owns_http:
            await self.http.aclose()

    # --- helpers -----------------------------------------------------------------------------------

    async def _locations(self) -> list[dict[str, Any]]:
        return [row async for page in self.client.pages("locations.json", "locations") for row in page]

    async def _location_ids(self) -> list[int]:
        ids = [int(row["id"]) for row in await self._locations()]
        if len(ids) > MAX_LOCATIONS:
            raise ConfigError(f"The shop has {len(ids)} locations; inventory reads cover at most {MAX_LOCATIONS}.")
        return ids

    async def _levels(self, match: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Inventory levels by `inventory_item_id` (or a variant's `sku`) and/or `location_id`."""
        wanted = dict(match)
        if "sku" in wanted:
            item = await self._inventory_item_for_sku(str(wanted.pop("sku")))
            if item is None:
                return []
            wanted["inventory_item_id"] = item
        params: dict[str, str] = {"limit": "250"}
        if wanted.get("inventory_item_id") not in (None, ""):
            params["inventory_item_ids"] = str(wanted["inventory_item_id"])
        params["location_ids"] = (
            str(wanted["location_id"])
            if wanted.get("location_id") not in (None, "")
            else ids_param(await self._location_ids())
        )
        rows: list[dict[str, Any]] = []
        async for page in self.client.pages("inventory_levels.json", "inventory_levels", params):
            rows += [r for r in page if all(str(r.get(k)) == str(v) for k, v in wanted.items())]
        return rows

    async def _inventory_item_for_sku(self, sku: str) -> int | None:
        """The inventory item of the variant with `sku` (REST cannot search variants: scan products once).

        An unknown SKU rescans, but at most every `SKU_RESCAN_SECONDS`: a stock feed naming many items the
        shop does not sell would otherwise scan the whole catalogue once per item, inside a 2-a-second bucket.
        """
        async with self._sku_lock:
            fresh = self._skus_read_at is not None and time.monotonic() - self._skus_read_at < SKU_RESCAN_SECONDS
            if sku not in self._skus and not fresh:
                started, skus = time.monotonic(), dict[str, int]()
                params = {"fields": "id,variants", "limit": "250"}
                async for page in self.client.pages("products.json", "products", params):
                    for product in page:
                        for variant in product.get("variants") or []:
                            if variant.get("sku") and variant.get("inventory_item_id") is not None:
                                skus.setdefault(str(variant["sku"]), int(variant["inventory_item_id"]))
                self._skus, self._skus_read_at = skus, started  # only a complete scan counts
            return self._skus.get(sku)


def _fulfillments_of(order: dict[str, Any], cursor: StorefrontCursor) -> list[Record]:
    """The fulfillments an order carries that changed since the cursor's time."""
    since = parse_time(cursor.since)
    found = []
    for row in order.get("fulfillments") or []:
        when = parse_time(row.get("updated_at"))
        if isinstance(row, dict) and (since is None or when is None or when >= since):
            found.append(to_record("fulfillments", row))
    return found


def _seg(value: str) -> str:
    return quote(value, safe="")


def _known(entity: str) -> None:
    if entity not in SCHEMAS:
        raise ConfigError(f"The storefront has no entity '{entity}'. Its entities are: {', '.join(SCHEMAS)}.")


if TYPE_CHECKING:

    def _conforms(connector: StorefrontConnector) -> Connector:
        return connector  # mypy proves StorefrontConnector meets the contract
