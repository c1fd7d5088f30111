"""Which waiting runs to wake when something happens: a sync settles a record, or a system reports a change.

The registry lives in memory and only makes waiting runs look again sooner; every waiting run also
has a due time of its own (`every`), so a lost wake-up (a restart, another process) costs latency,
never correctness.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ferry.core.records import ChangeNotice
from ferry.engine.store.base import Claim


class Watchers:
    def __init__(self, wake: Callable[[set[int]], None]) -> None:
        self._wake = wake
        self._records: defaultdict[tuple[str, ...], set[int]] = defaultdict(set)
        #: Per run, every match it waits on (a `for_each` wait has one per item).
        self._matches: defaultdict[tuple[str, str], defaultdict[int, list[dict[str, Any]]]] = defaultdict(
            lambda: defaultdict(list)
        )

    def sync_record(self, run_id: int, sync: str, side: str, record_id: str) -> None:
        """Wake `run_id` when sync `sync` settles `record_id` on `side`."""
        self._records[("sync", sync, side, record_id)].add(run_id)

    def record(self, run_id: int, connection: str, entity: str, record_id: str) -> None:
        """Wake `run_id` when `connection` reports a change to that record."""
        self._records[("record", connection, entity, record_id)].add(run_id)

    def match(self, run_id: int, connection: str, entity: str, values: Mapping[str, Any]) -> None:
        """Wake `run_id` when `connection` reports a record of `entity` with these field values."""
        self._matches[(connection, entity)][run_id].append(dict(values))

    def settled(self, claim: Claim) -> None:
        """A store listener: a sync settled a record."""
        self._fire(self._records.pop(("sync", claim.sync, claim.side, claim.record_id), set()))

    def noticed(self, connection: str, notices: Iterable[ChangeNotice]) -> None:
        """A webhook receiver's observer: `connection` reported these changes."""
        woken: set[int] = set()
        for notice in notices:
            woken |= self._records.pop(("record", connection, notice.entity, notice.id), set())
            matchers = self._matches.get((connection, notice.entity))
            if not matchers or notice.record is None:
                continue
            data = notice.record.data
            for run_id, wanted in list(matchers.items()):
                if any(all(_same(data.get(f), v) for f, v in values.items()) for values in wanted):
                    woken.add(run_id)
                    del matchers[run_id]
        self._fire(woken)

    def _fire(self, runs: set[int]) -> None:
        if runs:
            self._wake(runs)


def _same(a: Any, b: Any) -> bool:
    return a == b or (a is not None and b is not None and str(a) == str(b))
