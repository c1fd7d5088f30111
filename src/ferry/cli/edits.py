"""Fixes typed on the command line: `--set FIELD=VALUE` pairs and an edited record read from a file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from ferry.core import jsoncodec
from ferry.core.errors import ConfigError
from ferry.engine.spec import SyncSpec
from ferry.project import Project
from ferry.run.assemble import sync_spec


def parse_sets(items: list[str] | None) -> dict[str, Any]:
    """FIELD=VALUE pairs; VALUE is read as JSON (numbers with a point stay exact decimals), else as text."""
    values: dict[str, Any] = {}
    for item in items or []:
        field, sep, text = item.partition("=")
        if not sep or not field.strip():
            raise ConfigError(f"--set wants FIELD=VALUE, not '{item}'.")
        try:
            values[field.strip()] = jsoncodec.loads(text)
        except ValueError:
            values[field.strip()] = text
    return values


def read_record(path: Path) -> dict[str, Any]:
    """An edited record from a JSON file (`-` for standard input)."""
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
        record = jsoncodec.loads(text)
    except OSError as exc:
        raise ConfigError(f"Cannot read {path}: {exc.strerror}.") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path} is not JSON ({exc.msg} at line {exc.lineno}).") from None
    if not isinstance(record, dict):
        raise ConfigError(f"{path} must hold a JSON object (the record as ferry reads it).")
    return record


def project_spec(project: Project, sync: str) -> SyncSpec | None:
    """The compiled sync of that name in the project (None if the project no longer has it)."""
    found = next((s for s in project.syncs if s.name == sync), None)
    return sync_spec(project, found) if found is not None else None
