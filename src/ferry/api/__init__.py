"""The control API (JSON, described by OpenAPI at /openapi.json) that the CLI and console use."""

from ferry.api.app import control_app

__all__ = ["control_app"]
