"""Storefront connector: a Shopify shop's Admin REST API (customers, orders, products, inventory,
locations, fulfillments) and its HMAC-signed webhooks, by Admin API access token."""

from ferry.connectors.storefront.config import StorefrontConfig
from ferry.connectors.storefront.connector import StorefrontConnector
from ferry.connectors.storefront.webhooks import StorefrontWebhooks

__all__ = ["StorefrontConfig", "StorefrontConnector", "StorefrontWebhooks"]
