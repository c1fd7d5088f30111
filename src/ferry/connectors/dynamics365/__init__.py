"""Dynamics 365 (Dataverse Web API) connector."""

from ferry.connectors.dynamics365.config import DataverseConfig
from ferry.connectors.dynamics365.connector import DataverseConnector
from ferry.connectors.dynamics365.reads import ReadOptions
from ferry.connectors.dynamics365.webhooks import SECRET_HEADER, DataverseWebhooks

__all__ = ["SECRET_HEADER", "DataverseConfig", "DataverseConnector", "DataverseWebhooks", "ReadOptions"]
