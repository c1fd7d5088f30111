"""TIMS connector: the TIMS ERP REST API (`specs/tims-api.md`), by API key or OAuth client credentials."""

from ferry.connectors.tims.config import TimsConfig
from ferry.connectors.tims.connector import TimsConnector
from ferry.connectors.tims.webhooks import TimsWebhooks

__all__ = ["TimsConfig", "TimsConnector", "TimsWebhooks"]
