"""What each kind of step does: look up, read, write, settle through a sync, wait, compute, stop.

Every write a step makes is idempotent, because a step interrupted between "wrote" and "saved that
it wrote" runs again: creates carry an idempotency key made from the run and the step (TIMS honours
it; Dataverse derives the new row's id from it), updates set values, and a sync step enqueues its
record under an event id that redelivery collapses.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from ferry.connectors.contract import Connector
from ferry.core.errors import AuthError, ConfigError, FerryError, PermanentError, TransientError
from ferry.core.records import Record, WriteKind, WriteOp
from ferry.engine.batcher import WriteBatcher
from ferry.engine.breaker import CircuitBreaker, CircuitOpen
from ferry.engine.fingerprint import changes
from ferry.engine.orchestration.outcomes import ReviewRequested, StepFailed, Waiting
from ferry.engine.orchestration.watch import Watchers
from ferry.engine.spec import SyncSpec
from ferry.engine.store.base import NewEvent, Run, StepRecord, other
from ferry.engine.store.sqlite import SqliteStore
from ferry.mapping.values import truthy
from ferry.workflow.plan import (
    Action,
    BranchPlan,
    Expr,
    FindPlan,
    GetPlan,
    ReasonPlan,
    SetPlan,
    SyncPlan,
    WaitPlan,
    WritePlan,
)

T = TypeVar("T")
#: How often a sync step looks at its record when no wake-up came (a sync settles it in milliseconds).
SYNC_RECHECK_SECONDS = 5.0


@dataclass(slots=True)
class StepContext:
    """One attempt at one step (or one item of a `for_each`)."""

    run: Run
    step: str
    state: dict[str, Any]
    now: datetime
    #: The step's record from an earlier attempt (it waited, failed, or asked for review).
    previous: StepRecord | None = None
    #: Told apart the items of a `for_each` in idempotency keys and event ids (`:0`, `:1`...).
    suffix: str = ""
    #: What the step asked of a system (a payload, look-up values, a record id), for the run's history.
    input: Any = None

    @property
    def key(self) -> str:
        """Stable across attempts and restarts: the same run, step and item give the same key."""
        return f"ferry-wf-{self.run.workflow}-{self.run.key}-{self.step}{self.suffix}"


def output(record: Record) -> dict[str, Any]:
    """A record as a step's output: its fields, and `id` (the system's id of it)."""
    return {**record.data, "id": record.id}


class Actions:
    def __init__(
        self,
        store: SqliteStore,
        connectors: Mapping[str, Connector],
        syncs: Mapping[str, SyncSpec],
        batchers: Mapping[str, WriteBatcher],
        breakers: Mapping[str, CircuitBreaker],
        watchers: Watchers,
    ) -> None:
        self.store = store
        self.connectors = connectors
        self.syncs = syncs
        self.batchers = batchers
        self.breakers = breakers
        self.watchers = watchers
        self._locks: dict[tuple[Any, ...], list[Any]] = {}

    async def run(self, action: Action, ctx: StepContext) -> Any:
        if isinstance(action, FindPlan):
            return await self.find(action, ctx)
        if isinstance(action, GetPlan):
            return await self.get(action, ctx)
        if isinstance(action, WritePlan):
            return await self.write(action, ctx)
        if isinstance(action, SyncPlan):
            return await self.sync(action, ctx)
        if isinstance(action, WaitPlan):
            return await self.wait(action, ctx)
        if isinstance(action, SetPlan):
            return action.body(ctx.state, ctx.now)
        if isinstance(action, ReasonPlan):
            return self.reason(action, ctx)
        assert isinstance(action, BranchPlan)
        for index, (condition, _) in enumerate(action.cases):
            if condition is None or truthy(condition(ctx.state, ctx.now)):
                return {"case": index}
        return {"case": None}

    # --- systems ------------------------------------------------------------------------------

    async def call(self, connection: str, work: Awaitable[T]) -> T:
        """Call a system through its connection's breaker (the one the syncs use too)."""
        breaker = self.breakers[connection]
        if not breaker.allow():
            if asyncio.iscoroutine(work):
                work.close()
            raise CircuitOpen(f"{connection} is unavailable (circuit open)", retry_after=breaker.retry_in())
        try:
            result = await work
        except TransientError:
            breaker.failure()
            raise
        except AuthError as exc:
            breaker.pause(exc.message)
            raise
        except FerryError:
            breaker.success()
            raise
        breaker.success()
        return result

    def connector(self, connection: str) -> Connector:
        found = self.connectors.get(connection)
        if found is None:
            raise ConfigError(f"the project has no connection named {connection!r}")
        return found

    async def lookup(self, connection: str, entity: str, match: dict[str, Any]) -> Record | None:
        if any(value in (None, "") for value in match.values()):
            return None  # nothing matches an unknown value (a customer without an email)
        found = await self.call(connection, self.connector(connection).find(entity, match))
        live = [r for r in found if not r.deleted]
        return live[0] if live else None

    @staticmethod
    def values(match: dict[str, Expr], ctx: StepContext) -> dict[str, Any]:
        return {name: expr(ctx.state, ctx.now) for name, expr in match.items()}

    async def find(self, plan: FindPlan, ctx: StepContext) -> Any:
        match = ctx.input = self.values(plan.match, ctx)
        record = await self.lookup(plan.connection, plan.entity, match)
        if record is None:
            if plan.required:
                reason = plan.missing(ctx.state, ctx.now) if plan.missing is not None else None
                shown = ", ".join(f"{k} = {v!r}" for k, v in match.items())
                raise StepFailed(str(reason) if reason else f"no {plan.entity} in {plan.connection} with {shown}")
            return None
        return output(record)

    async def get(self, plan: GetPlan, ctx: StepContext) -> Any:
        record_id = ctx.input = plan.id(ctx.state, ctx.now)
        record = None
        if record_id not in (None, ""):
            record = await self.call(plan.connection, self.connector(plan.connection).get(plan.entity, str(record_id)))
        if record is None or record.deleted:
            if plan.required:
                raise StepFailed(f"{plan.entity} {record_id} is not in {plan.connection}")
            return None
        return output(record)

    async def write(self, plan: WritePlan, ctx: StepContext) -> Any:
        if plan.kind == "ensure":
            match = self.values(plan.match, ctx)
            # Two runs ensuring the same record at once (two orders from one new buyer) must not both
            # find nothing and both create it: the look-up and the create hold the match values' lock.
            async with self._holding((plan.connection, plan.entity, *sorted(match.items(), key=str))):
                return await self._ensure(plan, ctx, match)
        if plan.kind == "update":
            assert plan.id is not None
            record_id = plan.id(ctx.state, ctx.now)
            if record_id in (None, ""):
                raise StepFailed(f"no {plan.entity} id to update (`{plan.id.text}` is null)")
            payload = plan.body(ctx.state, ctx.now, creating=False)
            ctx.input = {"id": record_id, "update": payload}
            return await self.send(plan.connection, WriteOp(WriteKind.UPDATE, plan.entity, payload, str(record_id)))
        return await self._create(plan, ctx)

    async def _ensure(self, plan: WritePlan, ctx: StepContext, match: dict[str, Any]) -> Any:
        ctx.input = {"match": match}
        found = await self.lookup(plan.connection, plan.entity, match)
        if found is None:
            return await self._create(plan, ctx)
        if plan.update_found:
            delta = changes(plan.body(ctx.state, ctx.now, creating=False), found.data)
            ctx.input["update"] = delta
            if delta:
                op = WriteOp(WriteKind.UPDATE, plan.entity, data=delta, id=found.id, if_match=found.version)
                return await self.send(plan.connection, op, found.data)
        return output(found)

    async def _create(self, plan: WritePlan, ctx: StepContext) -> Any:
        payload = plan.body(ctx.state, ctx.now, creating=True)
        ctx.input = {**(ctx.input or {}), "create": payload}
        op = WriteOp(WriteKind.CREATE, plan.entity, data=payload, idempotency_key=ctx.key)
        return await self.send(plan.connection, op)

    @contextlib.asynccontextmanager
    async def _holding(self, key: tuple[Any, ...]) -> AsyncIterator[None]:
        """A lock per key, dropped when nobody holds or waits for it (keys are many, each short-lived)."""
        entry = self._locks.setdefault(key, [asyncio.Lock(), 0])
        entry[1] += 1
        try:
            async with entry[0]:
                yield
        finally:
            entry[1] -= 1
            if entry[1] == 0:
                del self._locks[key]

    async def send(self, connection: str, op: WriteOp, before: dict[str, Any] | None = None) -> Any:
        if connection not in self.batchers:
            raise ConfigError(f"the project has no connection named {connection!r}")
        result = await self.call(connection, self.batchers[connection].write(op))
        if not result.ok:
            raise result.error or PermanentError(f"{connection} refused the write without a reason")
        if result.record is not None:
            return output(result.record)
        return {**(before or {}), **op.data, "id": result.id or op.id}

    # --- the project's syncs --------------------------------------------------------------------

    async def sync(self, plan: SyncPlan, ctx: StepContext) -> Any:
        spec = self.syncs.get(plan.sync)
        if spec is None:
            raise ConfigError(f"the project has no sync named {plan.sync!r}")
        record_id = plan.id(ctx.state, ctx.now)
        if record_id in (None, ""):
            raise StepFailed(f"no record to settle through {plan.sync} (`{plan.id.text}` is null)")
        record_id = str(record_id)
        ctx.input = {"sync": plan.sync, "side": plan.side, "id": record_id}
        event_id = f"wf:{ctx.run.id}:{ctx.step}{ctx.suffix}:{ctx.run.generation}"
        state, error = await self.store.event_outcome(plan.sync, plan.side, record_id, event_id)
        if state == "missing":
            self.watchers.sync_record(ctx.run.id, plan.sync, plan.side, record_id)
            await self.store.enqueue([NewEvent(plan.sync, plan.side, record_id, source="workflow", event_id=event_id)])
            raise Waiting(f"the {plan.sync} sync is settling {plan.side} record {record_id}", SYNC_RECHECK_SECONDS)
        if state == "dead":
            raise StepFailed(f"the {plan.sync} sync could not bring {record_id} across: {error}")
        if state != "done":
            self.watchers.sync_record(ctx.run.id, plan.sync, plan.side, record_id)
            detail = f" ({error})" if error else ""
            raise Waiting(
                f"the {plan.sync} sync is settling {plan.side} record {record_id}{detail}", SYNC_RECHECK_SECONDS
            )
        link = await self.store.link(plan.sync, plan.side, record_id)
        twin = link.id_on(other(plan.side)) if link is not None and not link.deleted else None
        if twin is None:
            raise StepFailed(
                f"the {plan.sync} sync settled {plan.side} record {record_id} without a twin on the other side "
                "(its mapping skipped it, or it is held for review)"
            )
        return {"id": twin, "record_id": record_id}

    # --- time and conditions --------------------------------------------------------------------

    async def wait(self, plan: WaitPlan, ctx: StepContext) -> Any:
        started = ctx.previous.started_at if ctx.previous and ctx.previous.started_at else ctx.now
        elapsed = (ctx.now - started).total_seconds()
        if plan.seconds is not None:
            total = plan.seconds(ctx.state, ctx.now) if isinstance(plan.seconds, Expr) else plan.seconds
            try:
                seconds = float(total)
            except (TypeError, ValueError):
                raise StepFailed(f"the wait is {total!r}, not a number of seconds") from None
            if elapsed >= seconds:
                return {"waited": round(elapsed, 3)}
            raise Waiting(f"waiting {seconds:g} s", seconds - elapsed)
        assert plan.connection is not None and plan.entity is not None
        record: Record | None = None
        record_id: Any = None
        values: dict[str, Any] = {}
        if plan.id is not None:
            record_id = plan.id(ctx.state, ctx.now)
            ctx.input = {"id": record_id}
            if record_id not in (None, ""):
                connector = self.connector(plan.connection)
                record = await self.call(plan.connection, connector.get(plan.entity, str(record_id)))
        else:
            assert plan.match is not None
            values = ctx.input = self.values(plan.match, ctx)
            record = await self.lookup(plan.connection, plan.entity, values)
        if record is not None and not record.deleted:
            found = output(record)
            if plan.until is None or truthy(plan.until({**ctx.state, "record": found}, ctx.now)):
                return found
        what = f"{plan.entity} in {plan.connection}" + (f" until {plan.until.text}" if plan.until else "")
        if plan.timeout is not None and elapsed >= plan.timeout:
            raise StepFailed(f"waited {_duration(plan.timeout)} for {what}; it did not happen")
        if plan.id is not None:
            self.watchers.record(ctx.run.id, plan.connection, plan.entity, str(record_id))
        else:
            self.watchers.match(ctx.run.id, plan.connection, plan.entity, values)
        remaining = plan.timeout - elapsed if plan.timeout is not None else plan.every
        raise Waiting(f"waiting for {what}", max(0.0, min(plan.every, remaining)))

    def reason(self, plan: ReasonPlan, ctx: StepContext) -> Any:
        text = str(plan.reason(ctx.state, ctx.now))
        if plan.kind == "fail":
            raise StepFailed(text)
        held = ctx.previous
        held_at = held.input.get("generation") if held is not None and isinstance(held.input, dict) else None
        if held is not None and held.state == "review" and held_at is not None and ctx.run.generation > held_at:
            return {"approved": True, "reason": text}  # a person retried the held run: approved
        raise ReviewRequested(text)


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"
