"""Webhook deliveries with Shopify's headers, signature, retry schedule and subscription removal."""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import threading
import uuid
from collections.abc import Callable
from typing import Any

from ferry.sandboxes.kit import Delivery, WebhookDispatcher, dumps
from ferry.sandboxes.storefront.paging import project
from ferry.sandboxes.storefront.shop import SHOP_DOMAIN
from ferry.sandboxes.storefront.store import Store

#: 8 retries over about four hours with exponential backoff (Shopify's schedule since 2024-09).
RETRY_DELAYS = (60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 3840.0, 7680.0)
#: Shopify waits about 5 s for an answer; slower receivers count as failed.
DELIVERY_TIMEOUT = 5.0


def signature(secret: str, body: bytes) -> str:
    """`X-Shopify-Hmac-Sha256`: base64 of HMAC-SHA256 over the raw body, keyed with the app secret."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


class Publisher:
    """Turns a shop event into one delivery per matching subscription."""

    def __init__(
        self,
        dispatcher: WebhookDispatcher,
        secret: str,
        lock: threading.RLock,
        store: Callable[[], Store],
        seed: int,
    ) -> None:
        self.dispatcher = dispatcher
        self.secret = secret
        self.lock = lock
        self.store = store
        self._random = random.Random(f"{seed}:webhook-ids")

    def reseed(self, seed: int) -> None:
        self._random = random.Random(f"{seed}:webhook-ids")

    def publish(self, topic: str, resource: dict[str, Any]) -> None:
        """Deliver `resource` to every subscription on `topic` (call on the event loop, under the lock)."""
        store = self.store()
        subscribers = [s for s in store.subscriptions.values() if s.topic == topic]
        if not subscribers:
            return
        event_id = self._uuid()
        triggered_at = store.clock.now().isoformat().replace("+00:00", "Z")
        for sub in subscribers:
            body = dumps(project(resource, sub.fields or None))
            headers = {
                "X-Shopify-Topic": topic,
                "X-Shopify-Hmac-Sha256": signature(self.secret, body),
                "X-Shopify-Shop-Domain": SHOP_DOMAIN,
                "X-Shopify-API-Version": sub.api_version,
                # The delivery's id: the same on every retry, so receivers can drop repeats.
                "X-Shopify-Webhook-Id": self._uuid(),
                # The event's id: the same for every subscription that hears about this event.
                "X-Shopify-Event-Id": event_id,
                "X-Shopify-Triggered-At": triggered_at,
            }
            self.dispatcher.enqueue(sub.address, body, topic=topic, headers=headers, on_done=self._removal_rule(sub.id))

    def _removal_rule(self, subscription_id: int) -> Callable[[Delivery], None]:
        def on_done(delivery: Delivery) -> None:
            if delivery.state == "failed":
                # The first attempt and every retry failed: Shopify deletes API-made subscriptions.
                with self.lock:
                    self.store().subscriptions.pop(subscription_id, None)

        return on_done

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))
