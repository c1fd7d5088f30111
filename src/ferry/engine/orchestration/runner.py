"""Running workflows: a trigger record starts one run; workers take runs and walk their steps.

A run is walked from its first step every time it is taken, and every step that has finished is
passed over with its saved output, so a run resumes exactly where it stopped (after a wait, a
restart, a crash, or a person's retry) without repeating what succeeded. Each step's outcome and the
run's next state commit together. A step ends one of four ways:

- done: its output is saved and the walk goes on;
- waiting: the run is handed back, due again when the wait may be over (or woken sooner);
- a transient failure: retried with backoff, honouring `Retry-After`, up to the retry policy;
- a lasting failure: `on_failure` decides: hold the run for review (fix, then `ferry workflow
  retry`), compensate (undo the finished steps that say how, newest first), or continue without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from ferry.connectors.contract import Connector
from ferry.core.errors import AuthError, FerryError, TransientError
from ferry.engine.batcher import WriteBatcher
from ferry.engine.breaker import CircuitBreaker, CircuitOpen
from ferry.engine.orchestration.actions import Actions, StepContext
from ferry.engine.orchestration.outcomes import ReviewRequested, Waiting
from ferry.engine.orchestration.watch import Watchers
from ferry.engine.retry import RetryPolicy
from ferry.engine.spec import SyncSpec
from ferry.engine.store.base import Claim, Run, RunState, StepRecord
from ferry.engine.store.sqlite import SqliteStore
from ferry.mapping.values import truthy
from ferry.workflow.plan import BranchPlan, StepPlan, WorkflowPlan

log = logging.getLogger("ferry.workflow")
#: Step records in these states count as passed: the walk goes on with their saved output.
PASSED = frozenset({"done", "skipped", "continued"})
#: How long a run waits on a connection whose credentials were refused before it looks again.
AUTH_PAUSE_SECONDS = 30.0
#: Runs claimed from the store in one go (one transaction), at most.
CLAIM_BATCH = 64


class _Stop(Exception):
    """The run was handed back (waiting, retrying, held, ended); stop walking it."""


class WorkflowRunner:
    """Every workflow of a project: starts runs from trigger records, and works through runs."""

    def __init__(
        self,
        store: SqliteStore,
        workflows: Sequence[WorkflowPlan],
        connectors: Mapping[str, Connector],
        syncs: Mapping[str, SyncSpec],
        *,
        batchers: Mapping[str, WriteBatcher],
        breakers: Mapping[str, CircuitBreaker],
        retry: RetryPolicy | None = None,
        workers: int = 256,
        lease_seconds: float = 120.0,
        worker_id: str = "ferry",
    ) -> None:
        self.store = store
        self.workflows = {w.name: w for w in workflows}
        self.connectors = connectors
        self.retry = retry or RetryPolicy()
        self.workers = workers
        self.lease_seconds = lease_seconds
        self.worker_id = worker_id
        self.watchers = Watchers(self._woken)
        self.actions = Actions(store, connectors, syncs, batchers, breakers, self.watchers)
        self.breakers = breakers
        self.outcomes: dict[str, int] = {}
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._running: set[asyncio.Task[None]] = set()
        store.settled.append(self.watchers.settled)

    # --- triggers -----------------------------------------------------------------------------

    async def on_trigger(self, claim: Claim) -> str:
        """A trigger record changed: start its run (once per key), or wake the run it already has."""
        plan = self.workflows[claim.sync]
        trigger = plan.trigger
        if claim.deleted:
            await self.store.finish(claim, link=None, audit=[])
            return "trigger-deleted"
        data = claim.latest.payload
        if data is None:  # a notice without the record: read it (notify, then fetch)
            connector = self.connectors[trigger.connection]
            try:
                record = await self.actions.call(
                    trigger.connection, connector.get(trigger.entity, claim.record_id, **trigger.options)
                )
            except TransientError as exc:
                await self.store.retry(
                    claim, delay=self.retry.delay(claim.attempts, exc.retry_after), error=exc.message
                )
                return "retry"
            if record is None:
                await self.store.finish(claim, link=None, audit=[])
                return "gone"
            data = record.data
        try:
            if trigger.when is not None and not truthy(trigger.when(data)):
                await self.store.finish(claim, link=None, audit=[])
                return "not-started"
            key = str(trigger.key(data)) if trigger.key is not None else claim.record_id
        except FerryError as exc:
            await self.store.dead_letter(claim, error_class=type(exc).__name__, error=exc.message, payload=data)
            return "dead"
        _, created = await self.store.runs.start(plan.name, key, claim.record_id, data, claim)
        self._wake.set()
        return "started" if created else "already-running"

    # --- workers ------------------------------------------------------------------------------

    def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._dispatch(), name="ferry-workflow-dispatch"))

    async def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await asyncio.gather(*self._running, return_exceptions=True)

    @property
    def busy(self) -> bool:
        return bool(self._running)

    def idle(self) -> bool:
        """No run in hand and none due (for draining in tests and initial loads)."""
        return not self._running and not self.store.runs.runnable()

    def wake(self) -> None:
        self._wake.set()

    def _woken(self, runs: set[int]) -> None:
        task = asyncio.get_running_loop().create_task(self.store.runs.wake(sorted(runs)))
        task.add_done_callback(lambda _: self._wake.set())

    async def _dispatch(self) -> None:
        """Claim due runs in batches and walk each in a task of its own, up to `workers` at once.

        One claimer rather than a pool of workers each claiming one run: a run whose step waits on a
        throttled connection (a shop's bucket) then holds a task, not one of a few workers, so runs
        needing other systems keep moving; and an idle runner asks the store once, not once per worker.
        """
        worker = f"{self.worker_id}:wf"
        trouble = 0
        while not self._stop.is_set():
            free = self.workers - len(self._running)
            if free <= 0:
                await asyncio.wait([*self._running], return_when=asyncio.FIRST_COMPLETED)
                continue
            try:
                runs = await self.store.runs.claim(
                    worker=worker, limit=min(free, CLAIM_BATCH), lease_seconds=self.lease_seconds
                )
            except Exception:  # the store failed (disk full, locked): keep dispatching, try again
                trouble += 1
                log.exception("workflow runner could not take work from the store")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=min(30.0, 0.5 * 2**trouble))
                continue
            trouble = 0
            if not runs:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=0.5)
                continue
            for run in runs:
                task = asyncio.create_task(self._execute(run, worker), name=f"ferry-workflow-run-{run.id}")
                self._running.add(task)
                task.add_done_callback(self._running.discard)

    async def _execute(self, run: Run, worker: str) -> None:
        plan = self.workflows.get(run.workflow)
        if plan is None:
            await self.store.runs.advance(
                run, worker, state="held", reason=f"the project has no workflow named {run.workflow!r} any more"
            )
            return
        walk = _Walk(self, plan, run, worker)
        try:
            await walk.steps(plan.steps)
            await walk.end("completed")
        except _Stop:
            pass
        except Exception as exc:  # a bug, not a step's failure: hold the run, never lose it
            log.exception("workflow %s run %s failed unexpectedly", run.workflow, run.id)
            with contextlib.suppress(Exception):
                await self.store.runs.advance(
                    run, worker, state="held", step=walk.at, reason=f"unexpected {type(exc).__name__}: {exc}"
                )
        self.outcomes[walk.outcome] = self.outcomes.get(walk.outcome, 0) + 1


class _Walk:
    """One pass through a run's steps by one worker."""

    def __init__(self, runner: WorkflowRunner, plan: WorkflowPlan, run: Run, worker: str) -> None:
        self.runner = runner
        self.plan = plan
        self.run = run
        self.worker = worker
        self.records = dict(run.steps)
        self.state: dict[str, Any] = {
            "trigger": run.trigger or {},
            "steps": {name: r.output for name, r in run.steps.items() if r.state in PASSED},
            "run": {"id": run.id, "key": run.key, "workflow": run.workflow},
        }
        self.at: str | None = run.step
        self.outcome = "walked"

    async def steps(self, steps: Sequence[StepPlan]) -> None:
        for step in steps:
            record = self.records.get(step.name)
            if record is None or record.state not in PASSED:
                await self.step(step, record)
            if isinstance(step.action, BranchPlan) and self.records[step.name].state == "done":
                case = (self.state["steps"][step.name] or {}).get("case")
                if case is not None:
                    await self.steps(step.action.cases[case][1])

    async def step(self, step: StepPlan, previous: StepRecord | None) -> None:
        self.at = step.name
        now = datetime.now(UTC)
        attempts = self.run.attempts if self.run.step == step.name else 0
        started = previous.started_at if previous and previous.state in ("waiting", "review") else now
        ctx = StepContext(self.run, step.name, self.state, now, previous)
        try:
            if step.when is not None and not truthy(step.when(self.state, now)):
                await self.save(step, StepRecord(step.name, "skipped", started_at=now, finished_at=now), None)
                return
            if step.for_each is not None:
                result = await self.each(step, ctx)
            else:
                result = await self.runner.actions.run(step.action, ctx)
        except Waiting as wait:
            record = StepRecord(step.name, "waiting", ctx.input, None, wait.reason, attempts, started)
            await self.hand_back("waiting", record, due_in=wait.due_in, reason=wait.reason, attempts=attempts)
        except ReviewRequested as review:
            record = StepRecord(
                step.name, "review", {"generation": self.run.generation}, None, review.message, attempts, started
            )
            await self.hand_back("held", record, reason=review.message, outcome="review")
        except (AuthError, CircuitOpen) as exc:  # the connection is paused or resting: no attempt is spent
            pause = exc.retry_after if isinstance(exc, CircuitOpen) and exc.retry_after else AUTH_PAUSE_SECONDS
            record = StepRecord(step.name, "waiting", ctx.input, None, exc.message, attempts, started)
            await self.hand_back("waiting", record, due_in=max(1.0, pause), reason=exc.message, attempts=attempts)
        except TransientError as exc:
            attempts += 1
            if attempts < self.runner.retry.max_attempts:
                delay = self.runner.retry.delay(attempts, exc.retry_after)
                record = StepRecord(step.name, "retrying", ctx.input, None, exc.message, attempts, started)
                await self.hand_back("pending", record, due_in=delay, reason=exc.message, attempts=attempts)
            message = f"gave up after {attempts} attempts: {exc.message}"
            await self.failed(step, StepRecord(step.name, "failed", ctx.input, None, message, attempts, started))
        except FerryError as exc:
            await self.failed(
                step, StepRecord(step.name, "failed", ctx.input, None, exc.message, attempts + 1, started)
            )
        else:
            done = StepRecord(step.name, "done", ctx.input, result, None, attempts + 1, started, datetime.now(UTC))
            await self.save(step, done, result)

    async def each(self, step: StepPlan, ctx: StepContext) -> list[Any]:
        """The action once per item; items that wait do not stop the others from starting."""
        assert step.for_each is not None
        items = step.for_each(self.state, ctx.now)
        if items is None:
            return []
        if not isinstance(items, list):
            raise TypeError(f"for_each gave {type(items).__name__}, not a list")
        results: list[Any] = []
        inputs: list[Any] = []
        waiting: Waiting | None = None
        for index, item in enumerate(items):
            item_ctx = StepContext(
                ctx.run, ctx.step, {**self.state, "item": item, "index": index}, ctx.now, ctx.previous, f":{index}"
            )
            try:
                results.append(await self.runner.actions.run(step.action, item_ctx))
            except Waiting as wait:
                waiting = waiting or wait
                results.append(None)
            finally:
                inputs.append(item_ctx.input)
                ctx.input = inputs
        if waiting is not None:
            raise waiting
        return results

    # --- saving -------------------------------------------------------------------------------

    async def save(self, step: StepPlan, record: StepRecord, result: Any) -> None:
        """The step passed: save it and keep the run (renewing the lease) to walk on."""
        self.records[step.name] = record
        self.state["steps"][step.name] = result
        kept = await self.runner.store.runs.advance(
            self.run,
            self.worker,
            state="running",
            record=record,
            step=step.name,
            lease_seconds=self.runner.lease_seconds,
        )
        if not kept:
            self.outcome = "taken-over"
            raise _Stop

    async def hand_back(
        self,
        state: RunState,
        record: StepRecord | None,
        *,
        due_in: float = 0.0,
        reason: str | None = None,
        attempts: int = 0,
        outcome: str | None = None,
        records: Sequence[StepRecord] = (),
    ) -> None:
        await self.runner.store.runs.advance(
            self.run,
            self.worker,
            state=state,
            record=record,
            records=records,
            due_in=due_in,
            step=self.at,
            attempts=attempts,
            reason=reason,
        )
        self.outcome = outcome or state
        if state == "held":
            log.warning("workflow %s run %s held at %s: %s", self.run.workflow, self.run.id, self.at, reason)
        raise _Stop

    async def end(self, state: RunState, reason: str | None = None) -> None:
        await self.runner.store.runs.advance(self.run, self.worker, state=state, step=None, reason=reason)
        self.outcome = state
        log.info("workflow %s run %s %s", self.run.workflow, self.run.id, state)

    # --- lasting failures -----------------------------------------------------------------------

    async def failed(self, step: StepPlan, record: StepRecord) -> None:
        policy = step.on_failure or self.plan.on_failure
        reason = f"{step.name}: {record.error}"
        if policy == "continue":
            continued = StepRecord(
                step.name, "continued", None, None, record.error, record.attempts, record.started_at, datetime.now(UTC)
            )
            await self.save(step, continued, None)
            return
        if policy == "review":
            await self.hand_back("held", record, reason=reason, outcome="held")
        await self.compensate(step, record, reason)

    async def compensate(self, failed: StepPlan, record: StepRecord, reason: str) -> None:
        """Undo, newest first, each finished step that says how; then the run is `compensated`."""
        undone: list[StepRecord] = [record]
        for step in reversed([s for s in self.plan.walk() if self.records.get(s.name, record).state == "done"]):
            if step.compensate is None or step.name == failed.name:
                continue
            ctx = StepContext(self.run, f"{step.name}.compensate", self.state, datetime.now(UTC))
            try:
                result = await self.runner.actions.run(step.compensate, ctx)
            except (FerryError, Waiting) as exc:
                message = exc.message if isinstance(exc, FerryError) else exc.reason
                undone.append(StepRecord(f"{step.name}.compensate", "failed", None, None, message, 1, ctx.now))
                await self.hand_back(
                    "held",
                    None,
                    records=undone,
                    reason=f"{reason}; undoing {step.name} failed too: {message}",
                    outcome="held",
                )
            undone.append(
                StepRecord(f"{step.name}.compensate", "compensated", None, result, None, 1, ctx.now, datetime.now(UTC))
            )
        await self.hand_back("compensated", None, records=undone, reason=reason, outcome="compensated")
