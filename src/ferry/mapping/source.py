"""Reading a mapping's YAML into plain values while remembering where each key and value was written."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)

from ferry.core.problems import Problem

#: A place in a document: keys and list indexes from the root, e.g. ("fields", "CompanyName", "value").
Loc = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Place:
    """Where a key or scalar value starts (1-based) and, for a scalar, how it was quoted."""

    line: int
    column: int
    #: "plain", "single", "double", "literal" or "folded"; None for keys and collections.
    style: str | None = None


@dataclass(slots=True)
class Document:
    """A parsed mapping file: its plain value, the place of each key and of each scalar value."""

    file: str
    data: Any
    keys: dict[Loc, Place] = field(default_factory=dict)
    values: dict[Loc, Place] = field(default_factory=dict)

    def where(self, loc: Sequence[Any]) -> Place | None:
        """The place of the key at `loc`, or of its nearest ancestor that the file holds."""
        parts = _existing(self.data, loc)
        while parts:
            if parts in self.keys:
                return self.keys[parts]
            parts = parts[:-1]
        return None

    def problem(self, loc: Sequence[Any], message: str, hint: str | None = None) -> Problem:
        """A Problem at `loc`, its message prefixed with the dotted location (`fields.Email: ...`)."""
        place = self.where(loc)
        prefix = ".".join(str(p) for p in _existing(self.data, loc))
        text = f"{prefix}: {message}" if prefix else message
        line, column = (place.line, place.column) if place else (None, None)
        return Problem(text, file=self.file, line=line, column=column, hint=hint)


def _existing(data: Any, loc: Sequence[Any]) -> Loc:
    """The parts of `loc` that exist in `data`, skipping labels a validator adds (such as union tags)."""
    found: list[Any] = []
    node = data
    for part in loc:
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if not (in_dict or in_list):
            continue
        node = node[part]
        found.append(part)
    return tuple(found)


class YamlSyntaxError(Exception):
    """The text is not valid YAML; `problem` says where."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


class _DecimalConstructor(RoundTripConstructor):
    """Reads YAML floats as Decimal, from their written digits: a mapping never holds a float."""


def _construct_decimal(constructor: RoundTripConstructor, node: ScalarNode) -> Decimal:
    text = str(node.value).replace("_", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise ConstructorError(None, None, f"the number {node.value} is not supported", node.start_mark)
    return number


_DecimalConstructor.add_constructor("tag:yaml.org,2002:float", _construct_decimal)


def parse_yaml(text: str, file: str) -> Document:
    """Parse YAML text; raise YamlSyntaxError (with line and column) when it is not valid YAML."""
    yaml = YAML(typ="rt")
    yaml.Constructor = _DecimalConstructor
    yaml.preserve_quotes = True
    try:
        node = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(p for p in (exc.context, exc.problem) if p) or "not valid YAML"
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        hint = "check the indentation, or quote a value that holds ': '" if "mapping values" in message else None
        if "duplicate key" in message:
            hint = "each key may appear once; remove or rename one"
        elif "tab" in message:
            hint = "indent with spaces, not tabs"
        raise YamlSyntaxError(
            Problem(f"invalid YAML: {message}", file=file, line=line, column=column, hint=hint)
        ) from None
    except YAMLError as exc:
        raise YamlSyntaxError(Problem(f"invalid YAML: {exc}", file=file)) from None
    doc = Document(file, None)
    doc.data = _plain(node, (), doc)
    return doc


def _style(value: Any) -> str:
    if isinstance(value, DoubleQuotedScalarString):
        return "double"
    if isinstance(value, SingleQuotedScalarString):
        return "single"
    if isinstance(value, LiteralScalarString):
        return "literal"
    if isinstance(value, FoldedScalarString):
        return "folded"
    return "plain"


def _plain(node: Any, loc: Loc, doc: Document) -> Any:
    if isinstance(node, CommentedMap):
        out: dict[Any, Any] = {}
        for key, value in node.items():
            plain_key = _scalar(key)
            (line, col), (vline, vcol) = _places(node, key)
            doc.keys[(*loc, plain_key)] = Place(line + 1, col + 1)
            if not isinstance(value, CommentedMap | CommentedSeq):
                doc.values[(*loc, plain_key)] = Place(vline + 1, vcol + 1, _style(value))
            out[plain_key] = _plain(value, (*loc, plain_key), doc)
        return out
    if isinstance(node, CommentedSeq):
        items: list[Any] = []
        for index, value in enumerate(node):
            line, col = node.lc.item(index)
            doc.keys[(*loc, index)] = Place(line + 1, col + 1)
            if not isinstance(value, CommentedMap | CommentedSeq):
                doc.values[(*loc, index)] = Place(line + 1, col + 1, _style(value))
            items.append(_plain(value, (*loc, index), doc))
        return items
    return _scalar(node)


def _places(node: CommentedMap, key: Any) -> tuple[tuple[int, int], tuple[int, int]]:
    """Where a key and its value are written; a key merged in with `<<: *anchor` is found at the anchor."""
    if key in node.lc.data:
        return node.lc.key(key), node.lc.value(key)
    for merged in getattr(node, "merge", ()):
        if isinstance(merged, tuple):  # (position, map) in older ruamel releases
            merged = merged[-1]
        if key in merged:
            return _places(merged, key)
    return (node.lc.line, node.lc.col), (node.lc.line, node.lc.col)


def _scalar(value: Any) -> Any:
    """A ruamel scalar as the plain Python value (str, int, bool, Decimal, None, date)."""
    if isinstance(value, bool) or value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    return value
