"""Reading a YAML file into plain Python values while remembering where every key and item was written."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarbool import ScalarBoolean

from ferry.core.problems import Problem

#: A place in a document: mapping keys and list indexes from the root, e.g. ("syncs", 0, "left").
Loc = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A parsed YAML document: its plain value and the 1-based (line, column) of each key or list item."""

    path: Path
    data: Any
    positions: dict[Loc, tuple[int, int]] = field(default_factory=dict)

    def where(self, loc: Sequence[str | int]) -> tuple[int | None, int | None]:
        """The line and column of `loc`, or of its nearest ancestor that was written in the file."""
        parts = tuple(loc)
        while parts:
            if parts in self.positions:
                return self.positions[parts]
            parts = parts[:-1]
        return self.positions.get((), (None, None))

    def problem(self, loc: Sequence[str | int], message: str, hint: str | None = None) -> Problem:
        """A Problem pointing at `loc` in this file."""
        line, column = self.where(loc)
        return Problem(message, file=str(self.path), line=line, column=column, hint=hint)


class YamlSyntaxError(Exception):
    """The file is not valid YAML; `problem` says where."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def read_yaml(path: Path) -> SourceFile:
    """Parse `path`; raise YamlSyntaxError (with line and column) when it is not valid YAML."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise YamlSyntaxError(Problem("not UTF-8 text", file=str(path), hint="save the file as UTF-8")) from None
    try:
        node = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        # Build the message from the parts, never str(exc): that quotes the offending line,
        # which may hold a value the user meant to keep secret.
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(p for p in (exc.context, exc.problem) if p) or "not valid YAML"
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        raise YamlSyntaxError(
            Problem(f"invalid YAML: {message}", file=str(path), line=line, column=column, hint=_yaml_hint(message))
        ) from None
    except YAMLError as exc:
        raise YamlSyntaxError(Problem(f"invalid YAML: {type(exc).__name__}", file=str(path))) from None
    positions: dict[Loc, tuple[int, int]] = {(): (1, 1)}
    return SourceFile(path, _plain(node, (), positions), positions)


def _yaml_hint(message: str) -> str | None:
    if "duplicate key" in message:
        return "each key may appear once in a mapping; remove or rename one"
    if "tab" in message:
        return "indent with spaces, not tabs"
    return None


def _plain(node: Any, loc: Loc, positions: dict[Loc, tuple[int, int]]) -> Any:
    """Turn ruamel's round-trip nodes into dicts, lists and builtin scalars, recording positions."""
    if isinstance(node, CommentedMap):
        result: dict[str, Any] = {}
        for key, value in node.items():
            name = str(key)
            line, column = node.lc.key(key)
            positions[(*loc, name)] = (line + 1, column + 1)
            result[name] = _plain(value, (*loc, name), positions)
        return result
    if isinstance(node, CommentedSeq):
        items = []
        for index, value in enumerate(node):
            line, column = node.lc.item(index)
            positions[(*loc, index)] = (line + 1, column + 1)
            items.append(_plain(value, (*loc, index), positions))
        return items
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, ScalarBoolean):
        return bool(node)
    for kind in (int, float, str):
        if isinstance(node, kind):
            return kind(node)
    return str(node)  # dates and other tagged scalars: the models decide what they accept
