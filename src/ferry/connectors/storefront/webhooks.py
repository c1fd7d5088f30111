"""Storefront webhooks: subscriptions (one per topic, as Shopify has them), and verifying deliveries.

A delivery is signed `X-Shopify-Hmac-Sha256: base64(HMAC-SHA256(client secret, raw body))`. Shopify
signs with the app's client secret, not a secret chosen per subscription, so `subscribe` cannot set
one: `parse` checks against the secret it is given, else the connection's `webhook_secret`. The
signature is checked on the raw bytes before anything is parsed. A delivery's body is the resource
itself (the order, the customer...), so the notice carries the record; `X-Shopify-Webhook-Id`, the
same on every retry of one delivery, is its event id for deduplication.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import SecretStr

from ferry.connectors.storefront.client import StorefrontClient, parse_time
from ferry.connectors.storefront.entities import record_id, to_record
from ferry.core import jsoncodec
from ferry.core.errors import AuthError, ConfigError, ValidationError
from ferry.core.records import ChangeNotice

#: Entity -> the topics that report its changes.
TOPICS: dict[str, tuple[str, ...]] = {
    "customers": ("customers/create", "customers/update", "customers/delete"),
    "orders": ("orders/create", "orders/updated", "orders/delete"),
    "products": ("products/create", "products/update", "products/delete"),
    "inventory_levels": ("inventory_levels/connect", "inventory_levels/update"),
    "fulfillments": ("fulfillments/create", "fulfillments/update"),
}
#: Topic prefix -> entity.
ENTITY_OF = {topic.partition("/")[0]: entity for entity, topics in TOPICS.items() for topic in topics}


def topics_for(entities: Sequence[str]) -> list[str]:
    unknown = [e for e in entities if e not in TOPICS]
    if unknown:
        raise ConfigError(f"The storefront sends no webhooks for {', '.join(unknown)}; known: {', '.join(TOPICS)}.")
    return sorted({topic for entity in entities for topic in TOPICS[entity]})


def signature(secret: str, body: bytes) -> str:
    """The `X-Shopify-Hmac-Sha256` value Shopify sends for `body`."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


class StorefrontWebhooks:
    """The `WebhookSource` of a storefront connection."""

    def __init__(self, client: StorefrontClient, *, default_secret: SecretStr | None = None, api_version: str) -> None:
        self.client = client
        self.api_version = api_version
        self._default_secret = default_secret

    def __repr__(self) -> str:
        return "StorefrontWebhooks()"

    def _secret(self, given: str) -> str:
        if given:
            return given
        if self._default_secret is None:
            raise AuthError("No webhook secret is configured for this storefront connection (webhook_secret).")
        return self._default_secret.get_secret_value()

    async def subscribe(self, url: str, entities: Sequence[str], secret: str) -> str:
        """One Shopify subscription per topic of `entities` at `url`; the id is their ids, comma-separated.

        Subscriptions already at `url` for those topics are kept; ones at `url` for other topics are
        removed after the new ones exist, so no change goes unsent meanwhile. `secret` is not sent:
        Shopify signs with the app's client secret.
        """
        wanted = topics_for(entities)
        existing: list[dict[str, Any]] = []
        async for rows in self.client.pages("webhooks.json", "webhooks", {"address": url, "limit": "250"}):
            existing += [row for row in rows if row.get("address") == url]
        by_topic = {row.get("topic"): row for row in existing}
        ids: list[str] = []
        for topic in wanted:
            if topic in by_topic:
                ids.append(str(by_topic[topic]["id"]))
                continue
            body = {"webhook": {"topic": topic, "address": url, "format": "json"}}
            created = await self.client.send("POST", "webhooks.json", "webhook", body)
            ids.append(str(created["id"]))
        for row in existing:
            if row.get("topic") not in wanted:
                await self.client.delete(f"webhooks/{row['id']}.json")
        return ",".join(ids)

    async def unsubscribe(self, subscription_id: str) -> None:
        for one in subscription_id.split(","):
            if one.strip().isdigit():
                await self.client.delete(f"webhooks/{one.strip()}.json")

    def verify(self, headers: Mapping[str, str], body: bytes, secret: str) -> None:
        """AuthError unless `X-Shopify-Hmac-Sha256` is the HMAC of the raw body under the secret."""
        given = headers.get("x-shopify-hmac-sha256")
        if not given:
            raise AuthError("The storefront webhook delivery is not signed (X-Shopify-Hmac-Sha256).")
        expected = signature(self._secret(secret), body)
        if not hmac.compare_digest(expected.encode(), given.strip().encode()):
            raise AuthError("The storefront webhook signature does not match the configured secret.")

    def parse(self, headers: Mapping[str, str], body: bytes, secret: str) -> list[ChangeNotice]:
        """Verify one delivery and read it as a `ChangeNotice` carrying the resource it sent."""
        found = {name.lower(): value for name, value in headers.items()}
        self.verify(found, body, secret)
        topic = found.get("x-shopify-topic", "")
        entity = ENTITY_OF.get(topic.partition("/")[0])
        if entity is None:
            raise ValidationError(f"The storefront webhook topic {topic!r} is not one ferry reads.", topic=topic)
        try:
            resource = jsoncodec.loads(body)
        except ValueError:
            raise ValidationError("The storefront webhook body is not JSON.") from None
        if not isinstance(resource, dict):
            raise ValidationError("The storefront webhook body is not a JSON object.")
        deleted = topic.endswith("/delete")
        rid = record_id(entity, resource)
        if rid in ("None", "None/None"):
            raise ValidationError(f"The storefront {topic} webhook body names no record.", topic=topic)
        record = None if deleted else to_record(entity, resource)
        return [
            ChangeNotice(
                entity=entity,
                id=rid,
                kind="delete" if deleted else "upsert",
                version=record.version if record else None,
                occurred_at=parse_time(found.get("x-shopify-triggered-at")) or (record.modified_at if record else None),
                record=record,
                event_id=found.get("x-shopify-webhook-id") or found.get("x-shopify-event-id"),
            )
        ]
