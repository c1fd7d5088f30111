"""Finding connector classes by name through the `ferry.connectors` entry points."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from ferry.core.errors import ConfigError

GROUP = "ferry.connectors"


def available() -> list[str]:
    """Names of every installed connector."""
    return sorted(ep.name for ep in entry_points(group=GROUP))


def connector_class(name: str) -> Any:
    """The connector class registered under `name`; ConfigError naming the choices if there is none."""
    for ep in entry_points(group=GROUP):
        if ep.name == name:
            return ep.load()
    raise ConfigError(f"No connector named '{name}'. Installed connectors: {', '.join(available()) or 'none'}.")
