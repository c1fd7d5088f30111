"""Webhook subscriptions and the events every committed change fires.

Each delivery is signed per attempt: `X-TIMS-Signature: sha256=<hex HMAC-SHA256 of
"<X-TIMS-Timestamp>.<raw body>">`, keyed with the subscription's secret (or the sandbox's default).
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from ferry.sandboxes.kit import Clock, WebhookDispatcher, dumps
from ferry.sandboxes.kit.webhooks import Signer
from ferry.sandboxes.tims.fields import render_timestamp
from ferry.sandboxes.tims.problems import FieldProblem, validation_problem
from ferry.sandboxes.tims.schema import ENTITIES
from ferry.sandboxes.tims.store import Change

DEFAULT_WEBHOOK_SECRET = "tims-webhook-secret"
ACTIONS = ("created", "updated", "deleted")
EVENT_NAMES = frozenset({"*"} | {f"{entity}.{action}" for entity in ENTITIES for action in (*ACTIONS, "*")})


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    url: str
    events: tuple[str, ...]
    secret: str | None
    created_at: datetime

    def wants(self, event: str) -> bool:
        entity = event.partition(".")[0]
        return "*" in self.events or event in self.events or f"{entity}.*" in self.events

    def render(self) -> dict[str, Any]:
        # The secret is write-only: echoing it would leak it to anyone who can list subscriptions.
        return {
            "WebhookID": self.id,
            "url": self.url,
            "events": list(self.events),
            "CreatedAt": render_timestamp(self.created_at),
        }


def parse_subscription(body: Mapping[str, object]) -> tuple[str, tuple[str, ...], str | None]:
    problems = [FieldProblem(name, "is not a known field") for name in body if name not in ("url", "events", "secret")]
    url = body.get("url")
    if not isinstance(url, str) or len(url) > 2000:
        problems.append(FieldProblem("url", "is required: an http or https URL"))
    else:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append(FieldProblem("url", "must be an absolute http or https URL"))
    events = body.get("events")
    if not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events):
        problems.append(FieldProblem("events", 'is required: a list such as ["customer.created"] or ["*"]'))
        events = []
    for n, event in enumerate(events):
        if event not in EVENT_NAMES:
            problems.append(FieldProblem(f"events[{n}]", f"{event!r} is not an event; use <entity>.<action> or *"))
    secret = body.get("secret")
    if secret is not None and (not isinstance(secret, str) or not 1 <= len(secret) <= 200):
        problems.append(FieldProblem("secret", "must be a string of 1 to 200 characters"))
    if problems:
        raise validation_problem(problems)
    assert isinstance(url, str) and (secret is None or isinstance(secret, str))
    return url, tuple(dict.fromkeys(str(e) for e in events)), secret


def signer(secret: str, clock: Clock) -> Signer:
    def sign(body: bytes) -> dict[str, str]:
        timestamp = str(int(clock.now().timestamp()))
        digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        return {"X-TIMS-Timestamp": timestamp, "X-TIMS-Signature": f"sha256={digest}"}

    return sign


class Webhooks:
    """Subscriptions (kept across `/_sandbox/reset`: they are configuration, not data) and publishing."""

    def __init__(self, dispatcher: WebhookDispatcher, clock: Clock, default_secret: str) -> None:
        self.dispatcher = dispatcher
        self.clock = clock
        self.default_secret = default_secret
        self.subscriptions: dict[int, Subscription] = {}
        self._next_id = 1

    def subscribe(self, url: str, events: tuple[str, ...], secret: str | None) -> Subscription:
        subscription = Subscription(self._next_id, url, events, secret, self.clock.now())
        self.subscriptions[subscription.id] = subscription
        self._next_id += 1
        return subscription

    def publish(self, changes: list[Change]) -> None:
        """Queue one event per change for every subscription that wants it (call on the event loop)."""
        for change in changes:
            event = f"{change.collection.entity}.{change.action}"
            targets = [s for s in self.subscriptions.values() if s.wants(event)]
            if not targets:
                continue
            event_id = f"evt_{uuid.uuid4().hex}"
            key = change.key
            body = dumps(
                {
                    "id": event_id,
                    "event": event,
                    "occurredAt": render_timestamp(change.after["ModifiedAt"]),
                    "resource": {
                        "collection": change.collection.name,
                        "id": "/".join(key) if isinstance(key, tuple) else key,
                        "version": change.after["Version"],
                    },
                    "data": change.collection.render(change.after),
                }
            )
            for subscription in targets:
                headers = {
                    "X-TIMS-Event-Id": event_id,
                    "X-TIMS-Event": event,
                    "X-TIMS-Webhook-Id": str(subscription.id),
                    "User-Agent": "TIMS-Webhooks/1.0",
                }
                sign = signer(subscription.secret or self.default_secret, self.clock)
                self.dispatcher.enqueue(subscription.url, body, topic=event, headers=headers, sign=sign)
