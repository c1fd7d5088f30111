"""TIMS webhooks: subscriptions, and verifying and reading deliveries.

A delivery is signed `X-TIMS-Signature: sha256=<hex HMAC-SHA256 of "<X-TIMS-Timestamp>.<raw body>">`
with the subscription's secret. The timestamp is part of what is signed, so refusing timestamps far
from now stops a captured delivery from being replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import SecretStr

from ferry.connectors.tims.client import TimsClient, parse_time
from ferry.connectors.tims.entities import EVENT_PREFIXES, SCHEMAS, to_record
from ferry.core.errors import AuthError, ConfigError, ValidationError
from ferry.core.records import ChangeNotice

ACTIONS = ("created", "updated", "deleted")
#: How far a delivery's timestamp may be from now, in seconds, before it is refused as a replay.
REPLAY_WINDOW_S = 300.0


def events_for(entities: Sequence[str]) -> list[str]:
    """`customers` -> `customer.created`, `customer.updated`, `customer.deleted`."""
    unknown = [e for e in entities if e not in EVENT_PREFIXES]
    if unknown:
        raise ConfigError(f"TIMS sends no webhooks for {', '.join(unknown)}; known: {', '.join(EVENT_PREFIXES)}.")
    return sorted(f"{EVENT_PREFIXES[entity]}.{action}" for entity in dict.fromkeys(entities) for action in ACTIONS)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class TimsWebhooks:
    """The `WebhookSource` of a TIMS connection."""

    def __init__(
        self,
        client: TimsClient,
        *,
        clock: Callable[[], float] = time.time,
        replay_window: float = REPLAY_WINDOW_S,
        default_secret: SecretStr | None = None,
    ) -> None:
        self.client = client
        self.clock = clock
        self.replay_window = replay_window
        #: The connection's `webhook_secret`, used when `subscribe` or `parse` is given an empty one.
        self._default_secret = default_secret

    def __repr__(self) -> str:
        return f"TimsWebhooks(replay_window={self.replay_window:g})"

    def _secret(self, given: str) -> str:
        if given:
            return given
        if self._default_secret is None:
            raise AuthError("No webhook secret is configured for this TIMS connection (webhook_secret).")
        return self._default_secret.get_secret_value()

    async def subscribe(self, url: str, entities: Sequence[str], secret: str) -> str:
        """One subscription of `url` to the created/updated/deleted events of `entities`.

        TIMS cannot change a subscription, so one with the same URL and events is reused, and one
        with the same URL but other events is replaced: the new one is made first, then the old
        removed, so no change goes unsent meanwhile (a change sent by both carries one event id).
        TIMS never shows a subscription's secret, so a reused one keeps the secret it was made with;
        to change the secret, unsubscribe first.
        """
        events = events_for(entities)
        same_url = [hook for hook in await self.client.webhooks() if hook.get("url") == url]
        for hook in same_url:
            if sorted(hook.get("events") or ()) == events:
                for other in same_url:
                    if other is not hook:
                        await self.client.delete_webhook(str(other["WebhookID"]))
                return str(hook["WebhookID"])
        created = await self.client.create_webhook(url, events, self._secret(secret))
        for old in same_url:
            await self.client.delete_webhook(str(old["WebhookID"]))
        return str(created["WebhookID"])

    async def unsubscribe(self, subscription_id: str) -> None:
        await self.client.delete_webhook(subscription_id)

    def parse(self, headers: Mapping[str, str], body: bytes, secret: str) -> list[ChangeNotice]:
        """Verify one delivery's signature and age, and read it as a `ChangeNotice` carrying the record."""
        found = {name.lower(): value for name, value in headers.items()}
        self.verify(found, body, secret)
        try:
            event = json.loads(body)
        except ValueError:
            raise ValidationError("The TIMS webhook body is not JSON.") from None
        return [self._notice(event, found.get("x-tims-event-id"))]

    def verify(self, headers: Mapping[str, str], body: bytes, secret: str) -> None:
        """AuthError unless the signature matches and the timestamp is within the replay window."""
        secret = self._secret(secret)
        timestamp, given = headers.get("x-tims-timestamp"), headers.get("x-tims-signature")
        if not timestamp or not given:
            raise AuthError("The TIMS webhook delivery is not signed (X-TIMS-Timestamp, X-TIMS-Signature).")
        if not hmac.compare_digest(signature(secret, timestamp, body).encode(), given.strip().encode()):
            raise AuthError("The TIMS webhook signature does not match the configured secret.")
        try:
            age = abs(self.clock() - int(timestamp))
        except ValueError:
            raise AuthError("The TIMS webhook timestamp is not a number of seconds.") from None
        if age > self.replay_window:
            raise AuthError(
                f"The TIMS webhook delivery is {age:.0f} s from now, outside the {self.replay_window:.0f} s window."
            )

    def _notice(self, event: Any, header_id: str | None) -> ChangeNotice:
        try:
            name, resource, data = event["event"], event["resource"], event.get("data")
            collection, rid = resource["collection"], resource["id"]
            if not isinstance(name, str) or not isinstance(collection, str) or rid is None:
                raise TypeError(name)
        except (TypeError, KeyError):
            raise ValidationError(
                "The TIMS webhook body lacks event, resource.collection or resource.id.", entity="webhook"
            ) from None
        deleted = name.endswith(".deleted")
        version = resource.get("version")
        record = None
        if isinstance(data, dict) and collection in SCHEMAS:
            record = to_record(collection, data, deleted=deleted or None)
        return ChangeNotice(
            entity=collection,
            id=str(rid),  # an inventory row's is already "<SKU>/<Warehouse>"
            kind="delete" if deleted else "upsert",
            version=None if version is None else str(version),
            occurred_at=parse_time(event.get("occurredAt")),
            record=record,
            event_id=header_id or event.get("id"),
        )
