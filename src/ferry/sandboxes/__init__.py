"""Emulators of the systems ferry connects, one package each, speaking the real wire protocols.

Sandboxes are registered by name here and imported only when used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ferry.sandboxes.kit.base import Sandbox

#: name -> "module:Class"; the order is the order `ferry sandbox all` starts them in.
REGISTRY: dict[str, str] = {
    "dynamics365": "ferry.sandboxes.dynamics365:Dynamics365Sandbox",
    "tims": "ferry.sandboxes.tims:TimsSandbox",
    "storefront": "ferry.sandboxes.storefront:StorefrontSandbox",
}


def sandbox_class(name: str) -> type[Sandbox]:
    """The sandbox class registered under `name` (KeyError if there is none)."""
    module, _, attr = REGISTRY[name].partition(":")
    cls: type[Sandbox] = getattr(importlib.import_module(module), attr)
    return cls


__all__ = ["REGISTRY", "sandbox_class"]
