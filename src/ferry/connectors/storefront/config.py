"""Configuration of a storefront (Shopify Admin REST API) connection."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class StorefrontConfig(BaseModel):
    """A Shopify shop reached with an Admin API access token."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="Base URL of the shop, e.g. https://example.myshopify.com (no /admin/api/...).")
    access_token: SecretStr = Field(
        description="Admin API access token (X-Shopify-Access-Token, `shpat_...`); reference it as ${secret:name}."
    )
    api_version: str = Field("2025-07", description="Admin API version the connector speaks, e.g. 2025-07.")
    webhook_secret: SecretStr | None = Field(
        None,
        description="The app's client secret, which signs webhook deliveries (X-Shopify-Hmac-Sha256); "
        "reference it as ${secret:name}.",
    )
    page_size: int = Field(250, ge=1, le=250, description="Records per page (`limit`, at most 250).")
    bucket_size: int = Field(40, ge=1, description="Depth of the shop's leaky bucket (40 on the standard plan).")
    leak_rate: float = Field(
        2.0, gt=0, description="Requests per second the bucket drains (2 on the standard plan, 20 on Plus)."
    )
    verify_tls: bool | str = Field(True, description="Verify the server certificate, or a CA bundle path.")
    timeout_seconds: float = Field(30.0, gt=0, description="Per-request timeout.")
