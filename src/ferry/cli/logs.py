"""Log lines that are structured (key=value after the message) and readable on a terminal."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%H:%M:%S")
        line = f"{stamp} {record.levelname.lower():<7} {record.name.removeprefix('ferry.'):<8} {record.getMessage()}"
        if record.exc_info and record.levelno >= logging.ERROR:
            line += f" error={record.exc_info[1]!r}"
        return line


def configure(verbose: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter())
    root = logging.getLogger("ferry")
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    root.propagate = False
