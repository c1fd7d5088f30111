"""Connectors: one package per system, each speaking that system's real wire protocol.

Built-in connectors are registered as entry points in the `ferry.connectors` group (see
`pyproject.toml`); third-party packages plug in the same way. Nothing is imported until used.
"""

from ferry.connectors.contract import (
    Connector,
    EntitySchema,
    FieldSchema,
    Health,
    WebhookSource,
)
from ferry.connectors.registry import available, connector_class

__all__ = [
    "Connector",
    "EntitySchema",
    "FieldSchema",
    "Health",
    "WebhookSource",
    "available",
    "connector_class",
]
