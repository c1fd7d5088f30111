"""Changing a mapping file's fields from the console's designer, keeping the user's comments and layout.

Only the top-level `fields:` block is edited (a field's expression set, replaced or removed); lists,
objects and lookups stay as written. A field written in the long form (`value:` with `if_null:`...)
keeps its options when its expression changes.
"""

from __future__ import annotations

import difflib
import io
from collections.abc import Mapping
from typing import Any

from ruamel.yaml.comments import CommentedMap

from ferry.core.errors import ConfigError
from ferry.project.edit import round_trip


def fields_of(text: str) -> list[tuple[str, str]]:
    """(target, expression) of each top-level field, in file order."""
    data = round_trip(text).load(text)
    fields = data.get("fields") if isinstance(data, CommentedMap) else None
    if not isinstance(fields, CommentedMap):
        return []
    return [(str(k), _expression(v)) for k, v in fields.items()]


def _expression(value: Any) -> str:
    if isinstance(value, CommentedMap):
        return str(value.get("value", ""))
    return "" if value is None else str(value)


def with_fields(text: str, changes: Mapping[str, str | None], *, name: str = "mapping") -> tuple[str, str]:
    """The mapping text with `changes` applied (None removes a field), and the unified diff."""
    yaml = round_trip(text)
    data = yaml.load(text)
    if not isinstance(data, CommentedMap):
        raise ConfigError("The mapping file is not a YAML mapping; fix it by hand first.")
    fields = data.get("fields")
    if fields is None:
        fields = data["fields"] = CommentedMap()
    if not isinstance(fields, CommentedMap):
        raise ConfigError("The mapping's `fields:` is not a mapping of target field to expression.")
    for target, expression in changes.items():
        if not target or target != target.strip():
            raise ConfigError(f"'{target}' is not a target field name.")
        if expression is None:
            fields.pop(target, None)
        elif isinstance(fields.get(target), CommentedMap):
            fields[target]["value"] = expression  # keeps if_null, when, create_only...
        else:
            fields[target] = expression
    out = io.StringIO()
    yaml.dump(data, out)
    after = out.getvalue()
    return after, "".join(difflib.unified_diff(text.splitlines(True), after.splitlines(True), name, name))
