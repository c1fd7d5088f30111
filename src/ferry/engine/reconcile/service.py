"""Running reconciliations: a comparison saved as a report while it goes, and healing a finished report.

The same `Reconciler` serves the CLI (in the foreground, with a progress bar), the control API (in the
background: the request gets the report's id at once) and `ferry run`'s schedule.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from ferry.connectors.contract import Connector
from ferry.core.errors import ConfigError, FerryError
from ferry.engine.processor import Processor
from ferry.engine.reconcile.compare import Comparison, Progress
from ferry.engine.reconcile.heal import HealSummary, heal
from ferry.engine.spec import SyncSpec
from ferry.engine.store.reconciliations import DRIFT_KINDS, DriftItem, Reconciliation, ReconciliationRunning
from ferry.engine.store.sqlite import SqliteStore

log = logging.getLogger("ferry.reconcile")
#: Drift items saved per commit while a comparison runs.
BATCH = 200
#: How often a running comparison tells the store it is alive (well inside `STALE_SECONDS`).
BEAT_SECONDS = 30.0


class UnknownSync(ConfigError):
    def __init__(self, name: str, known: list[str]) -> None:
        names = ", ".join(sorted(known)) or "none"
        super().__init__(f"The project has no sync named '{name}'; its syncs are: {names}.")


class NotHealable(FerryError):
    """The report cannot be healed (yet): it is running, or did not finish."""


class Reconciler:
    """Compares the syncs of one project and heals what they found."""

    def __init__(
        self,
        store: SqliteStore,
        syncs: Mapping[str, SyncSpec],
        connectors: Mapping[str, Connector],
        *,
        processor: Processor | None = None,
        page_size: int = 500,
    ) -> None:
        self.store = store
        self.syncs = syncs
        self.connectors = connectors
        self.processor = processor or Processor(store, syncs, connectors)
        self.page_size = page_size
        self.tasks: dict[int, asyncio.Task[Reconciliation]] = {}
        #: Records read so far per side, of the reports running in the background here (for progress bars).
        self.progress: dict[int, dict[str, int]] = {}

    def spec(self, sync: str) -> SyncSpec:
        found = self.syncs.get(sync)
        if found is None:
            raise UnknownSync(sync, list(self.syncs))
        return found

    async def run(
        self, sync: str, *, started_by: str = "cli", heal: bool = False, progress: Progress | None = None
    ) -> Reconciliation:
        """Compare `sync` now and return its report (healed too, with `heal`)."""
        spec = self.spec(sync)
        report = await self.store.reconciliations.start(sync, started_by)
        return await self._compare(spec, report, heal=heal, progress=progress)

    async def start(self, sync: str, *, started_by: str = "api", heal: bool = False) -> int:
        """Start comparing `sync` in the background; return the report's id (`ReconciliationRunning` if busy)."""
        spec = self.spec(sync)
        report = await self.store.reconciliations.start(sync, started_by)
        read = self.progress[report] = {"left": 0, "right": 0}

        def heard(side: str, n: int) -> None:
            read[side] = n

        task = asyncio.create_task(
            self._compare(spec, report, heal=heal, progress=heard), name=f"ferry-reconcile-{report}"
        )
        self.tasks[report] = task

        def done(_: asyncio.Task[Reconciliation]) -> None:
            self.tasks.pop(report, None)
            self.progress.pop(report, None)

        task.add_done_callback(done)
        return report

    async def _compare(
        self, spec: SyncSpec, report: int, *, heal: bool, progress: Progress | None = None
    ) -> Reconciliation:
        last_beat = self.store.clock()

        async def beat() -> None:
            nonlocal last_beat
            if self.store.clock() - last_beat >= BEAT_SECONDS:
                last_beat = self.store.clock()
                await self.store.reconciliations.beat(report)

        comparison = Comparison(spec, self.connectors, self.processor, self.page_size, progress, beat)
        batch: list[DriftItem] = []
        error: str | None = None
        try:
            async for item in comparison.drift():
                batch.append(item)
                if len(batch) >= BATCH:
                    await self.store.reconciliations.add(report, batch, comparison.counts.as_dict())
                    batch = []
            await self.store.reconciliations.add(report, batch, comparison.counts.as_dict())
        except FerryError as exc:
            error = exc.message
        except asyncio.CancelledError:
            stopped = "stopped before it finished (ferry was stopping)"
            await asyncio.shield(self.store.reconciliations.finish(report, comparison.counts.as_dict(), error=stopped))
            raise
        except Exception as exc:  # a report must end, whatever stopped it; the log has the detail
            log.exception("reconciliation %d of %s failed", report, spec.name)
            error = f"{type(exc).__name__}: {exc}"
        await self.store.reconciliations.finish(report, comparison.counts.as_dict(), error=error)
        for message in comparison.errors:
            log.warning("%s: could not map %s", spec.name, message)
        if heal and error is None:
            await self.heal(report)
        found = await self.store.reconciliations.get(report)
        assert found is not None
        return found

    async def heal(self, report: int) -> HealSummary:
        """Queue the fix of every drift item of a finished report (again: only what was not queued yet)."""
        found = await self.store.reconciliations.get(report)
        if found is None:
            raise NotHealable(f"There is no reconciliation {report}.")
        if found.state != "done":
            why = "is still running" if found.state == "running" else "did not finish; run it again"
            raise NotHealable(f"Reconciliation {report} of '{found.sync}' {why}.")
        spec = self.spec(found.sync)
        total = HealSummary()
        offset = 0
        while True:
            items, _ = await self.store.reconciliations.items(report, offset=offset, limit=500)
            if not items:
                break
            part = await heal(self.store, spec, report, items)
            for name in ("queued", "already_queued", "forgotten", "cannot_fix"):
                setattr(total, name, getattr(total, name) + getattr(part, name))
            total.outcomes.update(part.outcomes)
            offset += len(items)
        await self.store.reconciliations.healed(report, sorted(total.outcomes.items()), total.totals())
        return total

    async def aclose(self) -> None:
        """Stop comparisons still running (their reports end as failed)."""
        for task in list(self.tasks.values()):
            task.cancel()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)


async def reconcile_every(reconciler: Reconciler, sync: str, interval: float, *, heal: bool) -> None:
    """Compare `sync` every `interval` seconds, counted from the start of its last report (a project that
    was stopped past its time compares at once; one never compared waits one interval first)."""
    store = reconciler.store
    while True:
        try:
            last = await store.reconciliations.recent(sync=sync, limit=1)
            now = store.clock()
            due = last[0].started_at.timestamp() + interval if last else now + interval
            await asyncio.sleep(max(0.0, due - now))
            report = await reconciler.run(sync, started_by="schedule", heal=heal)
        except ReconciliationRunning:  # one a person started: the next is due an interval after it
            await asyncio.sleep(min(interval, 60.0))
            continue
        except Exception:  # the store failing, say: the schedule goes on, and says so
            log.exception("the scheduled reconciliation of %s could not run; trying again later", sync)
            await asyncio.sleep(min(interval, 300.0))
            continue
        drift = sum(report.counts.get(kind, 0) for kind in DRIFT_KINDS)
        level = logging.WARNING if drift or report.error else logging.INFO
        log.log(level, "%s reconciled (report %d): %s", sync, report.id, report.error or f"{drift} drift item(s)")
