"""Log lines: readable on a terminal (the default), or one JSON object a line for log collectors.

`ferry run --log-format json` (or `FERRY_LOG_FORMAT=json`) prints `time` (ISO 8601, UTC), `level`,
`logger`, `message`, and the structured fields the log call gave with `extra=` (sync, side,
record_id, outcome, connection, ...). Credentials never reach either format: messages go through
`scrub`, and fields whose names say they are secret are masked (`core/redact.py`).
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any, Literal

import orjson

from ferry.core.redact import redact, scrub

LogFormat = Literal["text", "json"]
#: Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%H:%M:%S")
        message = scrub(record.getMessage())
        line = f"{stamp} {record.levelname.lower():<7} {record.name.removeprefix('ferry.'):<8} {message}"
        if record.exc_info and record.levelno >= logging.ERROR:
            line += f" error={scrub(repr(record.exc_info[1]))}"
        return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        fields = {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}
        for key, value in redact(fields).items():
            entry.setdefault(key, scrub(value) if isinstance(value, str) else value)
        if record.exc_info and record.exc_info[1] is not None:
            entry["error"] = scrub(f"{type(record.exc_info[1]).__name__}: {record.exc_info[1]}")
        return orjson.dumps(entry, default=str).decode()


def configure(verbose: bool = False, log_format: LogFormat = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else _Formatter())
    root = logging.getLogger("ferry")
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    root.propagate = False
