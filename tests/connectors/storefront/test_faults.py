"""Failures of the shop, classified as ferry acts on them: auth, rate limit, outage."""

from __future__ import annotations

import pytest

from ferry.connectors.registry import connector_class
from ferry.connectors.storefront import StorefrontConfig, StorefrontConnector
from ferry.connectors.storefront.client import CallLimit, links
from ferry.core.errors import AuthError, RateLimitedError, TransientError
from ferry.http import TokenBucket
from ferry.project.connectors import config_model
from tests.connectors.storefront.conftest import Shop


async def test_a_wrong_token_is_an_auth_failure(shop: Shop) -> None:
    connector = StorefrontConnector(shop.config(access_token="shpat_wrong"))
    try:
        health = await connector.check()
        assert not health.ok and health.extra["error"] == "AuthError"
        with pytest.raises(AuthError, match="Invalid API key or access token"):
            await connector.read("customers", None)
    finally:
        await connector.aclose()


async def test_expired_tokens_are_auth_failures(shop: Shop, connector: StorefrontConnector) -> None:
    await shop.control("POST", "/_sandbox/faults", {"expire_tokens": True})
    with pytest.raises(AuthError):
        await connector.get("customers", "1")


async def test_a_429_is_rate_limited_with_shopifys_retry_after(shop: Shop, connector: StorefrontConnector) -> None:
    health = await connector.check()
    assert health.ok and health.rate_limit_remaining == 39  # `1/40` in X-Shopify-Shop-Api-Call-Limit

    await shop.control("POST", "/_sandbox/faults", {"rate_limit": {"requests": 1, "per_seconds": 600}})
    await connector.get("customers", "1")  # fills the one-deep bucket
    with pytest.raises(RateLimitedError, match="Exceeded") as raised:
        await connector.read("customers", None)
    assert raised.value.retry_after is not None and raised.value.retry_after >= 2.0


async def test_an_outage_is_transient(shop: Shop, connector: StorefrontConnector) -> None:
    await shop.control("POST", "/_sandbox/faults", {"error_rate": 1.0, "error_status": 503})
    with pytest.raises(TransientError) as raised:
        await connector.read("orders", None)
    assert not isinstance(raised.value, RateLimitedError)
    health = await connector.check()
    assert not health.ok and health.extra["error"] == "TransientError"


def test_the_client_bucket_believes_the_shops_call_limit_header() -> None:
    limit = CallLimit.parse("38/40")
    assert limit is not None and limit.remaining == 2
    assert CallLimit.parse("nonsense") is None
    bucket = TokenBucket(2.0, burst=40, clock=lambda: 0.0)
    bucket.cap(limit.remaining)
    assert bucket._tokens == 2  # the state the cap exists to change


def test_link_header_parsing() -> None:
    header = (
        '<https://s/admin/api/2025-07/customers.json?page_info=a>; rel="previous", '
        '<https://s/x?page_info=b>; rel="next"'
    )
    assert links(header) == {
        "previous": "https://s/admin/api/2025-07/customers.json?page_info=a",
        "next": "https://s/x?page_info=b",
    }
    assert links(None) == {}


def test_registered_and_configurable_from_a_project() -> None:
    assert connector_class("storefront") is StorefrontConnector
    assert config_model("storefront") is StorefrontConfig
    config = StorefrontConfig(url="https://example.myshopify.com", access_token="shpat_x")  # type: ignore[arg-type]
    assert config.api_version == "2025-07" and config.bucket_size == 40 and config.leak_rate == 2.0
    assert "shpat_x" not in repr(config)
