"""Constants that describe the emulated shop and the Admin API surface it answers."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

SHOP_NAME = "Ferry Demo Welding Supply"
SHOP_DOMAIN = "ferry-demo.myshopify.com"
SHOP_EMAIL = "orders@ferry-demo.example"
CURRENCY = "USD"
IANA_TIMEZONE = "America/New_York"
TIMEZONE = ZoneInfo(IANA_TIMEZONE)

#: The version ferry's connector speaks; the default for credentials and webhook subscriptions.
DEFAULT_API_VERSION = "2025-07"
#: Stable versions answered as themselves, oldest first. Shopify serves a request for a retired
#: version with the oldest supported one (its `X-Shopify-API-Version` header says which).
SUPPORTED_VERSIONS = ("2025-01", "2025-04", "2025-07", "2025-10", "2026-01")
_RELEASE = re.compile(r"^(\d{4})-(01|04|07|10)$")

#: Topics a subscription may use; the ones marked in the docs are the ones this sandbox fires.
TOPICS = (
    "app/uninstalled",
    "customers/create",
    "customers/delete",
    "customers/update",
    "fulfillment_orders/fulfillment_request_submitted",
    "fulfillments/create",
    "fulfillments/update",
    "inventory_items/create",
    "inventory_items/update",
    "inventory_levels/connect",
    "inventory_levels/update",
    "orders/cancelled",
    "orders/create",
    "orders/delete",
    "orders/edited",
    "orders/fulfilled",
    "orders/paid",
    "orders/partially_fulfilled",
    "orders/updated",
    "products/create",
    "products/delete",
    "products/update",
    "refunds/create",
    "shop/update",
)


def resolve_version(requested: str | None) -> str | None:
    """The version that serves `requested`, or None when Shopify would answer 404.

    No version (the legacy `/admin/...` paths) and retired quarterly releases fall forward to the
    oldest supported release; `unstable` is served as itself; anything else does not exist.
    """
    if requested is None:
        return SUPPORTED_VERSIONS[0]
    if requested in SUPPORTED_VERSIONS or requested == "unstable":
        return requested
    if _RELEASE.match(requested) and requested < SUPPORTED_VERSIONS[0]:
        return SUPPORTED_VERSIONS[0]
    return None
