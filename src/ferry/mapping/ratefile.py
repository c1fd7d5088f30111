"""A mapping's `rates:` read into a rate table: its rows, then its CSV file, which is read again when it
changes, so a rate a finance user adds is used by the next record (and a replay) without a restart."""

from __future__ import annotations

import csv
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError as PydanticValidationError

from ferry.core.problems import Problem
from ferry.mapping.rates import RateRow, RateTable
from ferry.mapping.source import Document
from ferry.mapping.spec import RateRowSpec, RatesSpec

log = logging.getLogger("ferry.mapping")

_RATE_COLUMNS = ("from", "to", "rate", "date")
#: How often, at most, a rate look-up asks whether the file changed (one stat call).
CHECK_SECONDS = 1.0

Add = Callable[[RateRowSpec, str, Callable[[str], Problem]], None]


def rate_table(spec: RatesSpec, doc: Document, root: Path | None) -> tuple[RateTable, list[Problem]]:
    """The rate table of `rates:`, following its file; and the problems found in the rows and the file."""
    rows, problems = read_rates(spec, doc, root)
    kept = [f for f in (spec.file, "the mapping's rates" if spec.rows else None) if f]
    table = RateTable(rows, spec.minor_units, " or ".join(kept) or "the mapping's rates")
    if spec.file is not None and not problems:
        table.follow(RatesFile((root or Path.cwd()) / spec.file, lambda: read_rates(spec, doc, root)))
    return table, problems


class RatesFile:
    """Gives the table's rows again when the file has changed since it was last read (checked at most
    once every CHECK_SECONDS, or `now`, when a rate is missing); a file changed into one with problems
    is logged and ignored, so the rates last read stay in use."""

    def __init__(self, path: Path, read: Callable[[], tuple[list[RateRow], list[Problem]]]) -> None:
        self.path = path
        self._read = read
        self._stamp = self._mtime()
        self._checked = time.monotonic()

    def _mtime(self) -> tuple[int, int] | None:
        # The size too: two saves within the file system's clock tick have the same time.
        try:
            found = self.path.stat()
        except OSError:
            return None
        return found.st_mtime_ns, found.st_size

    def __call__(self, now: bool) -> list[RateRow] | None:
        clock = time.monotonic()
        if not now and clock - self._checked < CHECK_SECONDS:
            return None
        self._checked = clock
        stamp = self._mtime()
        if stamp == self._stamp:
            return None
        self._stamp = stamp
        rows, problems = self._read()
        if problems:
            log.warning(
                "%s changed but cannot be used; the rates read before stay in use: %s",
                self.path,
                "; ".join(str(p) for p in problems),
            )
            return None
        log.info("exchange rates read again from %s", self.path)
        return rows


def read_rates(spec: RatesSpec, doc: Document, root: Path | None) -> tuple[list[RateRow], list[Problem]]:
    """The rows of `rates:`, then the CSV file's; a pair and day listed twice with two rates is a problem."""
    rows: list[RateRow] = []
    problems: list[Problem] = []
    seen: dict[tuple[str, str, Any], tuple[Any, str]] = {}

    def add(row: RateRowSpec, where: str, problem: Callable[[str], Problem]) -> None:
        key = (row.from_, row.to, row.date)
        if key in seen and seen[key][0] != row.rate:
            first = seen[key][1]
            problems.append(
                problem(f"{row.from_}->{row.to} on {row.date.isoformat()} is listed twice ({first} and {where})")
            )
            return
        seen[key] = (row.rate, where)
        rows.append((row.from_, row.to, row.rate, row.date))

    for index, row in enumerate(spec.rows):

        def at_row(message: str, index: int = index) -> Problem:
            return doc.problem(("rates", "rows", index), message)

        add(row, f"rows[{index}]", at_row)
    if spec.file is not None:
        problems += _read_file(spec.file, doc, root, add)
    return rows, problems


def _read_file(name: str, doc: Document, root: Path | None, add: Add) -> list[Problem]:
    path = (root or Path.cwd()) / name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        hint = "the file is relative to the project (the folder with ferry.yaml)"
        return [doc.problem(("rates", "file"), f"cannot read {name}: {reason}", hint)]
    reader = csv.DictReader(text.splitlines())
    columns = [c.strip() for c in reader.fieldnames or []]
    missing = [c for c in _RATE_COLUMNS if c not in columns]
    if missing:
        return [
            Problem(
                f"the rates file needs the columns {', '.join(_RATE_COLUMNS)}; missing: {', '.join(missing)}",
                file=str(path),
                line=1,
                hint="the first line names the columns: from,to,rate,date",
            )
        ]
    problems: list[Problem] = []
    reader.fieldnames = columns
    for record in reader:
        line = reader.line_num

        def problem(message: str, line: int = line) -> Problem:
            return Problem(message, file=str(path), line=line)

        values = {c: (record.get(c) or "").strip() for c in _RATE_COLUMNS}
        if not any(values.values()):
            continue
        try:
            row = RateRowSpec.model_validate(values)
        except PydanticValidationError as exc:
            for error in exc.errors():
                column = error["loc"][0] if error["loc"] else ""
                problems.append(problem(f"{column}: {str(error['msg']).removeprefix('Value error, ')}"))
            continue
        add(row, f"{name} line {line}", problem)
    return problems
