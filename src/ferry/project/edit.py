"""Changing a project's file from the console: a connection's settings, written back with the user's
comments and layout kept, and only after the changed project passes every check `ferry validate` makes."""

from __future__ import annotations

import dataclasses
import difflib
import io
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from ferry.core.errors import ConfigError
from ferry.core.problems import Problem
from ferry.project.checks import PROJECT_FILE
from ferry.project.project import validate

#: Fields a connection's settings change cannot touch: the connector type makes it another connection.
FIXED = frozenset({"type"})


@dataclass(frozen=True, slots=True)
class Edited:
    diff: str
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems


#: A key whose value is a block list, and the list's first dash: how far the file indents its lists.
_LIST = re.compile(r"^( *)[^\s#][^:\n]*:[ \t]*\n(?:[ \t]*(?:#.*)?\n)*( *)- ", re.MULTILINE)


def round_trip(text: str) -> YAML:
    """A round-trip YAML that writes lists indented as this file indents them (ruamel cannot tell)."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a user's long lines
    found = _LIST.search(text)
    offset = max(0, len(found.group(2)) - len(found.group(1))) if found else 2
    yaml.indent(mapping=2, sequence=offset + 2, offset=offset)
    # ruamel writes a null as nothing (`key:`); the files ferry writes, and most people, spell it null.
    yaml.representer.add_representer(type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null"))
    return yaml


def change_connection(
    root: Path, name: str, changes: Mapping[str, Any], *, environ: Mapping[str, str] | None = None
) -> Edited:
    """Set (or, with None, remove) fields of connection `name` in `root`'s ferry.yaml.

    The file is written only when the changed project is valid; otherwise it is left as it was and
    the problems are returned, with their lines as they would be in the changed file.
    """
    path = root / PROJECT_FILE
    before = path.read_text()
    yaml = round_trip(before)
    data = yaml.load(before)
    connections = data.get("connections") if isinstance(data, CommentedMap) else None
    if not isinstance(connections, CommentedMap) or name not in connections:
        raise ConfigError(f"There is no connection '{name}' in {path}.")
    conn = connections[name]
    for key, value in changes.items():
        if key in FIXED:
            raise ConfigError(f"The '{key}' of a connection cannot be changed; add a new connection instead.")
        if value is None:
            conn.pop(key, None)
        else:
            conn[key] = value
    out = io.StringIO()
    yaml.dump(data, out)
    after = out.getvalue()
    diff = "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True), "ferry.yaml", "ferry.yaml"))
    problems = _problems(root, after, environ)
    if not problems:
        replace_file(path, after)
    return Edited(diff, problems)


def _problems(root: Path, text: str, environ: Mapping[str, str] | None) -> list[Problem]:
    """Check `text` as the project file, beside the project's own mappings, workflows and vault."""
    with tempfile.TemporaryDirectory(prefix="ferry-edit-") as scratch:
        trial = Path(scratch)
        for entry in root.iterdir():
            if entry.name != PROJECT_FILE:
                (trial / entry.name).symlink_to(entry.resolve())
        (trial / PROJECT_FILE).write_text(text)
        report = validate(trial, environ)
        # Said of the project's own files, not of the trial copy.
        return [
            dataclasses.replace(p, file=p.file.replace(scratch, str(root), 1) if p.file else p.file)
            for p in report.problems
        ]


def replace_file(path: Path, text: str) -> None:
    """Write the whole file or nothing (a crash mid-write leaves the old file)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".ferry.yaml.")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
