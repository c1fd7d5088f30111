"""The toolkit every sandbox is built from: base app, control surface, faults, limits, webhooks, data."""

from ferry.sandboxes.kit.base import ConnectionDropped, Sandbox
from ferry.sandboxes.kit.bodies import BodyError, JSONResponse, dumps, parse_json_object, read_body
from ferry.sandboxes.kit.clock import Clock, ManualClock
from ferry.sandboxes.kit.limits import (
    Decision,
    FixedWindowLimiter,
    LeakyBucketLimiter,
    Limiter,
    SlidingWindowLimiter,
)
from ferry.sandboxes.kit.webhooks import Delivery, WebhookDispatcher, retry_any_failure
from ferry.sandboxes.kit.world import Address, Company, Person, Product, World

__all__ = [
    "Address",
    "BodyError",
    "Clock",
    "Company",
    "ConnectionDropped",
    "Decision",
    "Delivery",
    "FixedWindowLimiter",
    "JSONResponse",
    "LeakyBucketLimiter",
    "Limiter",
    "ManualClock",
    "Person",
    "Product",
    "Sandbox",
    "SlidingWindowLimiter",
    "WebhookDispatcher",
    "World",
    "dumps",
    "parse_json_object",
    "read_body",
    "retry_any_failure",
]
