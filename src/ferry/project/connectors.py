"""The configuration model of each connection type, and what its fields accept in a project file."""

from __future__ import annotations

import importlib
import types
import typing
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, create_model

from ferry.connectors import registry
from ferry.core.errors import ConfigError

# Where the built-in connectors keep their Config, for when a connector itself cannot be imported (its
# optional dependencies are missing, or it is being worked on): a project still validates.
BUILTIN_CONFIGS = {
    "dynamics365": "ferry.connectors.dynamics365.config:DataverseConfig",
    "storefront": "ferry.connectors.storefront.config:StorefrontConfig",
    "tims": "ferry.connectors.tims.config:TimsConfig",
}


def connection_types() -> list[str]:
    """Every connection type a project may use: the installed connectors and the built-in ones."""
    return sorted(set(BUILTIN_CONFIGS) | set(registry.available()))


def config_model(type_name: str) -> type[BaseModel]:
    """The `Config` model of the connector `type_name`; ConfigError naming the installed types if unknown."""
    model: Any
    if type_name in registry.available():
        try:
            model = getattr(registry.connector_class(type_name), "Config", None)
        except (ImportError, AttributeError) as exc:
            if type_name not in BUILTIN_CONFIGS:
                raise ConfigError(f"The connector '{type_name}' is installed but cannot be loaded: {exc}") from None
            model = _builtin_config(type_name)
    elif type_name in BUILTIN_CONFIGS:
        model = _builtin_config(type_name)
    else:
        raise ConfigError(f"Unknown connection type '{type_name}'. Installed types: {', '.join(connection_types())}.")
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise ConfigError(f"The connector '{type_name}' has no pydantic Config model.")
    return model


def _builtin_config(type_name: str) -> Any:
    module, _, attr = BUILTIN_CONFIGS[type_name].partition(":")
    return getattr(importlib.import_module(module), attr)


def is_secret(model: type[BaseModel], field: str) -> bool:
    """Whether `field` of `model` holds a secret (typed `SecretStr`), which must be given as a reference."""
    info = model.model_fields.get(field)
    return info is not None and SecretStr in _leaves(info.annotation)


def accepts_text(model: type[BaseModel], field: str) -> bool:
    """Whether `field` of `model` takes text, so a `${env:...}` reference may stand in for it."""
    info = model.model_fields.get(field)
    return info is not None and bool({str, SecretStr} & set(_leaves(info.annotation)))


def _leaves(annotation: Any) -> list[Any]:
    """The plain types inside Optional/Union/Annotated."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _leaves(typing.get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        return [leaf for arg in typing.get_args(annotation) for leaf in _leaves(arg)]
    return [annotation]


def connection_model(type_name: str) -> type[BaseModel]:
    """The connector's model with a `type` field added: what one entry under `connections` is."""
    if type_name not in _CONNECTION_MODELS:
        config = config_model(type_name)
        tag: Any = Literal[type_name]
        _CONNECTION_MODELS[type_name] = create_model(
            f"{config.__name__.removesuffix('Config')}Connection",
            __base__=config,
            __doc__=config.__doc__,
            type=(tag, Field(description=f"`{type_name}`.")),
        )
    return _CONNECTION_MODELS[type_name]


_CONNECTION_MODELS: dict[str, type[BaseModel]] = {}
