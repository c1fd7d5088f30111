"""The syntax tree of an expression. Every node keeps its offsets in the expression text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Node:
    start: int = field(kw_only=True)
    end: int = field(kw_only=True)


@dataclass(frozen=True, slots=True)
class Literal(Node):
    """A constant: text, a number (int or Decimal), true, false or null."""

    value: Any


@dataclass(frozen=True, slots=True)
class Path(Node):
    """A field of the source record (`primarycontactid.firstname`) or, with `context`, of the context."""

    segments: tuple[str, ...]
    context: bool = False


@dataclass(frozen=True, slots=True)
class Attr(Node):
    """`.name` after something that is not a plain path, e.g. `parse_address(x).city`."""

    target: Node
    name: str


@dataclass(frozen=True, slots=True)
class Index(Node):
    """`target[index]`: an item of a list (from 0; negative from the end) or a key of an object."""

    target: Node
    index: Node


@dataclass(frozen=True, slots=True)
class Call(Node):
    """A function call, `name(arg, ...)`."""

    name: str
    args: tuple[Node, ...]
    name_end: int


@dataclass(frozen=True, slots=True)
class Unary(Node):
    """`-x` or `not x`."""

    op: str
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary(Node):
    """`a op b` for arithmetic, comparison, `and` and `or`."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class If(Node):
    """`if cond then a else b`; without `else`, null."""

    condition: Node
    then: Node
    otherwise: Node | None


@dataclass(frozen=True, slots=True)
class Case(Node):
    """`case [subject] when x then a ... else b end`: with a subject, `when` values are compared to it."""

    subject: Node | None
    whens: tuple[tuple[Node, Node], ...]
    otherwise: Node | None
