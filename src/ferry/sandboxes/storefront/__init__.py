"""Emulator of a Shopify shop: the Admin REST API (2025-07) and signed webhooks."""

from ferry.sandboxes.storefront.sandbox import ACCESS_TOKEN, CLIENT_SECRET, StorefrontSandbox

__all__ = ["ACCESS_TOKEN", "CLIENT_SECRET", "StorefrontSandbox"]
