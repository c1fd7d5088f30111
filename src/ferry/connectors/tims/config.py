"""Configuration of a TIMS connection."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator


class TimsConfig(BaseModel):
    """A TIMS API reached with an API key or OAuth client credentials."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="Base URL of the TIMS API host, e.g. https://tims.example.com (no /api/v1).")
    api_key: SecretStr | None = Field(None, description="API key (X-API-Key); reference it as ${secret:name}.")
    client_id: str | None = Field(None, description="OAuth client id, when not using an API key.")
    client_secret: SecretStr | None = Field(None, description="OAuth client secret; reference it as ${secret:name}.")
    webhook_secret: SecretStr | None = Field(
        None, description="Secret that signs TIMS webhook deliveries to ferry; reference it as ${secret:name}."
    )
    page_size: int = Field(200, ge=1, le=500, description="Records per page (pageSize).")
    max_requests_per_second: float = Field(
        40.0, gt=0, description="Client-side limit; keep it under the server's (the sandbox allows 50 a second)."
    )
    verify_tls: bool | str = Field(True, description="Verify the server certificate, or a CA bundle path.")
    timeout_seconds: float = Field(30.0, gt=0, description="Per-request timeout.")

    @model_validator(mode="after")
    def _one_way_to_authenticate(self) -> TimsConfig:
        if self.api_key is None and not (self.client_id and self.client_secret):
            raise ValueError("set api_key, or client_id with client_secret")
        return self
