"""Running syncs: workers that settle claimed records, pollers, and webhook receivers, until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Mapping, Sequence

from ferry.connectors.contract import Connector
from ferry.core import tracing
from ferry.engine.breaker import CircuitBreaker
from ferry.engine.intake import Poller, WebhookReceiver
from ferry.engine.matchindex import MatchIndex
from ferry.engine.orchestration import WorkflowRunner
from ferry.engine.processor import Processor
from ferry.engine.retry import RetryPolicy
from ferry.engine.spec import Feed, SideSpec, SyncSpec
from ferry.engine.store.base import SIDES, Claim, Side
from ferry.engine.store.sqlite import SqliteStore
from ferry.workflow.plan import WorkflowPlan

log = logging.getLogger("ferry.engine")
#: Outcomes worth a line in the log at the default level (the rest are visible with --verbose).
_NOTEWORTHY = frozenset({"created", "updated", "deleted", "review", "conflict-lost", "paused"})


class Engine:
    """The sync engine for one project in one process (the embedded default)."""

    def __init__(
        self,
        store: SqliteStore,
        syncs: Sequence[SyncSpec],
        connectors: Mapping[str, Connector],
        *,
        workers: int = 64,  # a worker mostly waits on round trips; connections' limits pace the systems
        claim_batch: int = 4,
        lease_seconds: float = 120.0,
        retry: RetryPolicy | None = None,
        webhook_secrets: Mapping[str, str] | None = None,
        workflows: Sequence[WorkflowPlan] = (),
        workflow_workers: int = 256,
    ) -> None:
        self.store = store
        self.syncs = {s.name: s for s in syncs}
        self.connectors = connectors
        self.breakers = {name: CircuitBreaker() for name in connectors}
        self.processor = Processor(store, self.syncs, connectors, retry=retry, breakers=self.breakers)
        self.workers = workers
        self.claim_batch = claim_batch
        self.lease_seconds = lease_seconds
        self.worker_id = f"{os.uname().nodename}:{os.getpid()}"
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []
        self._busy = 0
        #: Records settled since the start, by (sync or workflow, outcome): the `/metrics` counters.
        self.settled: dict[tuple[str, str], int] = {}
        self.pollers = [
            Poller(store, spec, side, connectors[spec.side(side).connection], wake=self.wake)
            for spec in syncs
            for side in SIDES
            if spec.flows_from(side)
        ]
        self.workflows = {w.name: w for w in workflows}
        self.runner = WorkflowRunner(
            store,
            workflows,
            connectors,
            self.syncs,
            batchers=self.processor.batchers,
            breakers=self.breakers,
            retry=retry,
            workers=workflow_workers,
            worker_id=self.worker_id,
        )
        triggers = [trigger_feed(w) for w in workflows]
        #: Pollers of workflows' triggers: what they read starts runs instead of being synced.
        self.trigger_pollers = [
            Poller(store, feed, "left", connectors[feed.left.connection], wake=self.wake) for feed in triggers
        ]
        self.receiver = WebhookReceiver(store, [*syncs, *triggers], connectors, webhook_secrets or {}, wake=self.wake)
        self.receiver.observers.append(self.runner.watchers.noticed)

    @property
    def busy(self) -> bool:
        """Is a worker settling records right now?"""
        return self._busy > 0

    def wake(self) -> None:
        self._wake.set()

    async def resume(self, connection: str) -> None:
        """Call `connection` again after a pause (credentials fixed): what waited for it is due now."""
        self.breakers[connection].reset()
        await self.store.expedite(
            [n for n, s in self.syncs.items() if connection in (s.left.connection, s.right.connection)]
        )
        self.wake()

    # --- initial load ---------------------------------------------------------------------------

    async def read_all(
        self, on_page: Callable[[Poller, int], None] | None = None, *, pollers: Sequence[Poller] | None = None
    ) -> int:
        """Read every record of each polled side (all, or `pollers`) into the inbox; return how many.

        Each full read also fills a match index of that side (`engine/matchindex.py`), so the records
        settled next find their existing twins without a look-up request each. Call this before
        `start_workers` for the whole load to use the indexes; they serve until `forget_indexes`.
        """
        total = 0
        for poller in self.pollers if pollers is None else pollers:
            if isinstance(poller.spec, SyncSpec) and poller.spec.history == "skip":
                total += await self._pass_over(poller, on_page)
                continue
            await self.store.set_cursor(poller.spec.name, poller.side, None)
            fields = _match_fields(poller.spec, poller.side) if isinstance(poller.spec, SyncSpec) else set()
            index = MatchIndex(fields) if fields else None

            def page(n: int, poller: Poller = poller) -> None:
                if on_page is not None:
                    on_page(poller, n)

            total += await poller.poll_once(page, index.add if index is not None else None)
            if index is not None:
                self.processor.indexes[(poller.spec.name, poller.side)] = index
        return total

    async def _pass_over(self, poller: Poller, on_page: Callable[[Poller, int], None] | None) -> int:
        """A `history: skip` side: read for the first time, what exists is passed over (only the cursor
        moves); read before, it catches up from its cursor like any poll."""
        first = await self.store.get_cursor(poller.spec.name, poller.side) is None
        seen = await poller.poll_once((lambda n: on_page(poller, n)) if on_page is not None else None, discard=first)
        if first:
            log.info(
                "%s: %d existing records of %s passed over (history: skip); changes from now on are synced",
                poller.spec.name,
                seen,
                poller.spec.side(poller.side).entity,
            )
            return 0
        return seen

    async def forget_indexes(self, *, when_settled: bool = True, within: float = 600.0) -> None:
        """Drop the initial load's match indexes once its records are settled (or `within` seconds).

        An index is a snapshot: a record typed into a system after the read is not in it. Live running
        therefore asks the systems, and the snapshot serves only while the load it was read for settles.
        """
        if when_settled:
            drained = asyncio.ensure_future(self.drain())
            stopping = asyncio.ensure_future(self._stop.wait())
            try:
                await asyncio.wait({drained, stopping}, timeout=within, return_when=asyncio.FIRST_COMPLETED)
            finally:
                drained.cancel()
                stopping.cancel()
        self.processor.indexes.clear()

    # --- workers ----------------------------------------------------------------------------------

    def start_workers(self) -> None:
        if self.workflows:
            self.runner.start()
        for n in range(self.workers):
            self.tasks.append(asyncio.create_task(self._work(f"{self.worker_id}:{n}"), name=f"ferry-worker-{n}"))

    async def _work(self, worker: str) -> None:
        trouble = 0
        while not self._stop.is_set():
            try:
                claims = await self.store.claim(worker=worker, limit=self.claim_batch, lease_seconds=self.lease_seconds)
            except Exception:  # the store itself failed (disk full, locked): keep the worker, try again
                trouble += 1
                log.exception("worker %s could not take work from the store", worker)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=min(30.0, 0.5 * 2**trouble))
                continue
            trouble = 0
            if not claims:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=0.5)
                continue
            self._busy += 1
            try:
                for claim in claims:
                    if self._stop.is_set():
                        await self.store.retry(claim, delay=0, error="engine stopping")  # hand it back unfinished
                        continue
                    await self._settle(claim)
            finally:
                self._busy -= 1

    async def _settle(self, claim: Claim) -> None:
        """Process one claim; an unexpected failure is logged and the record retried, never lost."""
        if tracing.tracer is None:
            await self._settle_one(claim)
            return
        attributes = {"ferry.sync": claim.sync, "ferry.side": claim.side, "ferry.record_id": claim.record_id}
        with tracing.span(f"settle {claim.sync}", attributes) as span:
            outcome = await self._settle_one(claim)
            if span is not None:
                span.set_attribute("ferry.outcome", outcome)

    async def _settle_one(self, claim: Claim) -> str:
        try:
            if claim.sync in self.workflows:
                outcome = await self.runner.on_trigger(claim)
            else:
                outcome = await self.processor.process(claim)
        except Exception as exc:
            log.exception(
                "%s: %s record %s failed unexpectedly", claim.sync, claim.side, claim.record_id, extra=_fields(claim)
            )
            await self._unexpected(claim, exc)
            outcome = "unexpected"
        key = (claim.sync, outcome)
        self.settled[key] = self.settled.get(key, 0) + 1
        if outcome != "unexpected":
            level = logging.INFO if outcome in _NOTEWORTHY else logging.DEBUG
            if log.isEnabledFor(level):
                log.log(
                    level,
                    "%s: %s record %s %s",
                    claim.sync,
                    claim.side,
                    claim.record_id,
                    outcome,
                    extra={**_fields(claim), "outcome": outcome},
                )
        return outcome

    async def _unexpected(self, claim: Claim, exc: Exception) -> None:
        error = f"{type(exc).__name__}: {exc}"
        policy = self.processor.retry
        try:
            if claim.attempts >= policy.max_attempts:
                await self.store.dead_letter(
                    claim, error_class=type(exc).__name__, error=error, payload=claim.latest.payload
                )
            else:
                await self.store.retry(claim, delay=policy.delay(claim.attempts), error=error)
        except Exception:  # the store is failing too: the claim's lease brings it back later
            log.exception("could not give %s record %s back to the store", claim.side, claim.record_id)

    @property
    def stopping(self) -> asyncio.Event:
        """Set when the engine stops; long-running helpers (pollers) watch it."""
        return self._stop

    async def drain(self) -> None:
        """Wait until nothing is pending or in flight (for initial loads and tests; wrap in a timeout)."""
        while True:
            if self._busy == 0 and not await self.store.has_work() and self.runner.idle():
                return
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        """Stop taking work; records in hand are finished or handed back, never lost."""
        self._stop.set()
        self._wake.set()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks.clear()
        await self.runner.stop()
        self.processor.indexes.clear()


def _fields(claim: Claim) -> dict[str, str]:
    """The structured fields of a record's log lines (`--log-format json`)."""
    return {"sync": claim.sync, "side": claim.side, "record_id": claim.record_id}


def trigger_feed(workflow: WorkflowPlan) -> Feed:
    """The records that start a workflow's runs, read like a side of a sync."""
    trigger = workflow.trigger
    return Feed(workflow.name, SideSpec(trigger.connection, trigger.entity, dict(trigger.options)))


def _match_fields(spec: SyncSpec, side: Side) -> set[str]:
    """The fields of `side` that finding an existing twin compares: match fields and the link field."""
    fields = {rule.left if side == "left" else rule.right for rule in spec.match}
    if spec.link_field is not None and spec.link_field[0] == side:
        fields.add(spec.link_field[1])
    return fields
