"""Configuration of a Dynamics 365 (Dataverse) connection."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class DataverseConfig(BaseModel):
    """A Dataverse environment reached with an app registration (OAuth client credentials)."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="Environment URL, e.g. https://contoso.crm.dynamics.com (no /api/data).")
    tenant: str = Field(description="Entra ID tenant: its GUID or domain (contoso.onmicrosoft.com).")
    client_id: str = Field(description="Application (client) id of the app registration.")
    client_secret: SecretStr = Field(description="Client secret; reference it as ${secret:name}, never inline it.")
    authority_host: str = Field(
        "https://login.microsoftonline.com",
        description="Where tokens come from. The sandbox is its own authority: set this to its URL.",
    )
    api_version: str = Field("v9.2", description="Web API version segment.")
    page_size: int = Field(500, ge=1, le=5000, description="Rows per page (Prefer: odata.maxpagesize).")
    max_requests_per_second: float = Field(
        15.0, gt=0, description="Client-side limit; Dataverse allows 6,000 requests per 5 minutes per user (20/s)."
    )
    batch_size: int = Field(100, ge=1, le=1000, description="Writes per $batch request.")
    verify_tls: bool | str = Field(True, description="Verify the server certificate, or a CA bundle path.")
    timeout_seconds: float = Field(30.0, gt=0, description="Per-request timeout.")
