"""The web console: pages served beside the control API, drawn in the browser from the API's JSON."""

from ferry.console.pages import mount_console

__all__ = ["mount_console"]
