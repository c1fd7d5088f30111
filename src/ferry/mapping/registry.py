"""The function registry: each function module registers itself by name; nothing lists them centrally.

Two kinds of function:

- `@function(...)` on a plain Python function: it receives the evaluated arguments and returns a value.
  Most functions are this kind. Arity and signature come from the Python parameters.
- `@special_form(...)` on a compiler hook: it receives the call site (compiled arguments, their syntax
  nodes, the mapping's lookup tables and a way to report problems) and returns the evaluator. Use it when
  arguments must be evaluated lazily (`coalesce`, `try`) or checked when the mapping loads (`lookup`).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from ferry.mapping.nodes import Node

#: A compiled expression: (record, context) -> value.
Evaluator = Callable[[dict[str, Any], dict[str, Any]], Any]

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class Example:
    """A worked example for the reference: `expression` on `record` gives `result` (the test suite checks it)."""

    expression: str
    result: Any
    record: Mapping[str, Any] = field(default_factory=dict)
    #: Lookup tables the expression uses, as they would be written under `lookups:`.
    lookups: Mapping[str, Any] = field(default_factory=dict)
    #: The exchange rates the expression uses, as they would be written under `rates:`.
    rates: Mapping[str, Any] = field(default_factory=dict)


class Rates(Protocol):
    """The mapping's exchange rates (`rates:`), as special forms see them; see `ferry.mapping.rates`."""

    def find(self, source: str, target: str, on: Any) -> tuple[Any, Any]: ...

    def knows(self, source: str, target: str) -> bool: ...

    def places(self, currency: str) -> int: ...

    def round(self, amount: Any, currency: str) -> Any: ...


class Lookups(Protocol):
    """The mapping's lookup tables, by name, as special forms see them."""

    def __contains__(self, name: object) -> bool: ...

    def __getitem__(self, name: str) -> Callable[[Any], Any]: ...

    def __iter__(self) -> Any: ...


@dataclass(frozen=True, slots=True)
class CallSite:
    """What a special form's compiler hook gets: the call's arguments compiled and as syntax, plus the mapping."""

    name: str
    args: Sequence[Evaluator]
    nodes: Sequence[Node]
    lookups: Lookups
    report: Callable[[str, Node, str | None], None]
    #: The mapping's `rates:` section; None when it has none.
    rates: Rates | None = None


@dataclass(frozen=True, slots=True)
class FunctionInfo:
    """One function of the mapping language, as the reference documents it."""

    name: str
    signature: str
    description: str
    example: Example
    category: str
    min_args: int
    max_args: int | None
    call: Callable[..., Any] | None = field(default=None, repr=False)
    compile: Callable[[CallSite], Evaluator] | None = field(default=None, repr=False)
    #: Arguments evaluated once per item of the first argument (a list): the item is the record they
    #: read, `context.parent` the record and `context.position` the item's number. A quoted text there
    #: is a path into the item (`'product.sku'`). For a function taking any number of arguments, the
    #: arguments after the last one listed are evaluated per item too.
    item_args: tuple[int, ...] = ()
    #: The result is (copies of) the items of the first argument, so an expression reading its items
    #: reads fields of the first argument's items (`lists: from: group_lines(lines, ...)`).
    returns_items: bool = False


_REGISTRY: dict[str, FunctionInfo] = {}
_loaded = False


def _register(info: FunctionInfo) -> None:
    if info.name in _REGISTRY:
        raise RuntimeError(f"mapping function {info.name!r} is registered twice")
    _REGISTRY[info.name] = info


def _describe(fn: Callable[..., Any]) -> str:
    return inspect.cleandoc(fn.__doc__ or "").strip()


def function(name: str, *, category: str, example: Example) -> Callable[[F], F]:
    """Register a plain function under `name`; its docstring is its description in the reference."""

    def register(fn: F) -> F:
        params = list(inspect.signature(fn).parameters.values())
        required = [p for p in params if p.kind is p.POSITIONAL_OR_KEYWORD and p.default is p.empty]
        optional = [p for p in params if p.kind is p.POSITIONAL_OR_KEYWORD and p.default is not p.empty]
        variadic = next((p for p in params if p.kind is p.VAR_POSITIONAL), None)
        text = ", ".join(p.name for p in required)
        for p in optional:
            text += f"[, {p.name}]" if text else f"[{p.name}]"
        if variadic is not None:
            text += f", {variadic.name}..." if text else f"{variadic.name}..."
        max_args = None if variadic is not None else len(required) + len(optional)
        _register(
            FunctionInfo(name, f"{name}({text})", _describe(fn), example, category, len(required), max_args, call=fn)
        )
        return fn

    return register


def special_form(
    name: str,
    *,
    category: str,
    example: Example,
    signature: str,
    min_args: int,
    max_args: int | None,
    item_args: tuple[int, ...] = (),
    returns_items: bool = False,
) -> Callable[[F], F]:
    """Register a compiler hook under `name`; its docstring is its description in the reference."""

    def register(hook: F) -> F:
        _register(
            FunctionInfo(
                name,
                signature,
                _describe(hook),
                example,
                category,
                min_args,
                max_args,
                compile=hook,
                item_args=item_args,
                returns_items=returns_items,
            )
        )
        return hook

    return register


def _load_all() -> None:
    """Import every module of `ferry.mapping.library`, so that each registers its functions."""
    package = importlib.import_module("ferry.mapping.library")
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")


def registry() -> Mapping[str, FunctionInfo]:
    """Every registered function, by name."""
    global _loaded
    if not _loaded:
        _load_all()
        _loaded = True
    return _REGISTRY


def functions() -> dict[str, FunctionInfo]:
    """Every function of the mapping language by name, sorted, with signature, description and example."""
    return dict(sorted(registry().items()))
