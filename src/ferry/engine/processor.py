"""Settling one claimed record: fetch, compare, map, resolve conflicts, write, remember.

This is DESIGN.md's "life of a change" as code. Invariants it keeps:
- notify, then fetch: whatever the events said, the record's current state is what gets synced;
- a version already applied, or one ferry itself wrote (echo), changes nothing;
- the target is written only with the fields that differ, so an edit settles in one round trip;
- records are linked before anything is created (cross-reference, link field, match rules), and a
  create carries an idempotency key, so a crash between "wrote" and "remembered" never duplicates;
- the link, the audit entry and the events' completion are saved in one transaction;
- a person's fix (an edited record, values over the mapped output, a review's decision) applies to the
  settle of the one event that carries it (`engine/edits.py`), and is audited with who made it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from ferry.connectors.contract import Connector
from ferry.core.errors import (
    AuthError,
    ConflictError,
    FerryError,
    NotFoundError,
    PermanentError,
    TransientError,
    ValidationError,
)
from ferry.core.records import Record, WriteKind, WriteOp
from ferry.engine.batcher import WriteBatcher
from ferry.engine.breaker import CircuitBreaker, CircuitOpen
from ferry.engine.edits import Edit, with_values
from ferry.engine.fingerprint import changes, fingerprint
from ferry.engine.matchindex import MatchIndex
from ferry.engine.retry import RetryPolicy
from ferry.engine.searchterms import IndexEntry, index_entry
from ferry.engine.spec import SyncSpec
from ferry.engine.store.base import AuditEntry, Claim, Link, NewEvent, Side, other
from ferry.engine.store.edits import edits_of
from ferry.engine.store.reviews import ReviewDesk
from ferry.engine.store.sqlite import SqliteStore
from ferry.engine.twins import DependencyMissing, Twins
from ferry.mapping.library.twin import TWINS

log = logging.getLogger("ferry.engine")
T = TypeVar("T")


class _Failed(Exception):
    """A connector call failed; carries which connection, so the right breaker learns of it."""

    def __init__(self, connection: str, error: FerryError) -> None:
        super().__init__(connection, error)
        self.connection = connection
        self.error = error


def newer(candidate: str | None, known: str | None) -> bool:
    """Is `candidate` a later version than `known`? Numeric versions compare as numbers; others only differ."""
    if candidate is None or known is None:
        return True
    if candidate.isdigit() and known.isdigit():
        return int(candidate) > int(known)
    return candidate != known


class Processor:
    def __init__(
        self,
        store: SqliteStore,
        syncs: Mapping[str, SyncSpec],
        connectors: Mapping[str, Connector],
        *,
        retry: RetryPolicy | None = None,
        breakers: Mapping[str, CircuitBreaker] | None = None,
    ) -> None:
        self.store = store
        self.syncs = syncs
        self.connectors = connectors
        self.retry = retry or RetryPolicy()
        self.breakers = dict(breakers or {name: CircuitBreaker() for name in connectors})
        self.batchers = {name: WriteBatcher(connector) for name, connector in connectors.items()}
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}
        #: Match indexes of an initial load in progress, by (sync, side); see `engine/matchindex.py`.
        self.indexes: dict[tuple[str, Side], MatchIndex] = {}
        self.outcomes: dict[str, int] = {}
        #: The source record read for each claim in hand, so a dead letter keeps what ferry had read.
        self._in_hand: dict[tuple[str, Side, str], dict[str, Any]] = {}

    # --- entry point ------------------------------------------------------------------------------

    async def process(self, claim: Claim) -> str:
        """Settle a claim; return what happened (applied, settled, echo, stale, dead, review, retry...)."""
        spec = self.syncs.get(claim.sync)
        if spec is None:
            await self.store.dead_letter(
                claim,
                error_class="ConfigError",
                error=f"The project has no sync named '{claim.sync}' any more.",
                payload=None,
            )
            return self._count("dead")
        claim, edit = await self._edit_of(claim)
        try:
            outcome = await self._settle(spec, claim, edit)
        except _Failed as failed:
            outcome = await self._failed(claim, failed.connection, failed.error)
        except DependencyMissing as waiting:
            outcome = await self._wait_for(claim, waiting)
        except FerryError as exc:  # a mapping or configuration failure for this record
            outcome = await self._dead(claim, exc)
        finally:
            self._in_hand.pop((claim.sync, claim.side, claim.record_id), None)
        return self._count(outcome)

    async def _edit_of(self, claim: Claim) -> tuple[Claim, Edit | None]:
        """The claim to settle now and the person's edit it carries, if any.

        An edit is for the event it came with: events after it are handed back to settle next, as they
        come (a change made after the edit is synced too, never swallowed by it).
        """
        edits = await edits_of(self.store, claim)
        if not edits:
            return claim, None
        cut = max(n for n, e in enumerate(claim.events) if e.id in edits) + 1
        if cut < len(claim.events):
            later = dataclasses.replace(claim, events=claim.events[cut:])
            await self.store.retry(later, delay=0, error="after a person's edit of this record, settled next")
            claim = dataclasses.replace(claim, events=claim.events[:cut])
        return claim, edits[claim.latest.id]

    def _count(self, outcome: str) -> str:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        return outcome

    async def _failed(self, claim: Claim, connection: str, error: FerryError) -> str:
        breaker = self.breakers[connection]
        if isinstance(error, CircuitOpen):
            await self.store.retry(claim, delay=max(1.0, breaker.retry_in()), error=error.message)
            return "waiting"
        if isinstance(error, AuthError):
            # Credentials are wrong everywhere, not for this record: pause the connection, keep the record.
            breaker.pause(error.message)
            log.error("connection %s paused: %s", connection, error.message, extra={"connection": connection})
            await self.store.retry(claim, delay=breaker.cooldown, error=error.message)
            return "paused"
        if isinstance(error, TransientError | ConflictError):
            limit = self.retry.conflict_attempts if isinstance(error, ConflictError) else self.retry.max_attempts
            if claim.attempts >= limit:
                return await self._dead(claim, error)
            retry_after = error.retry_after if isinstance(error, TransientError) else None
            await self.store.retry(claim, delay=self.retry.delay(claim.attempts, retry_after), error=error.message)
            return "retry"
        return await self._dead(claim, error)

    async def _wait_for(self, claim: Claim, waiting: DependencyMissing) -> str:
        """Ask for the records it needs to be synced, and try this one again later (or give up, saying why)."""
        if claim.attempts >= self.retry.max_attempts:
            return await self._dead(claim, waiting)
        await self.store.enqueue(
            [
                NewEvent(
                    need.sync,
                    need.side,
                    need.record_id,
                    source="dependency",
                    event_id=f"needed-by:{claim.sync}:{claim.side}:{claim.record_id}",
                )
                for need in waiting.needed
            ]
        )
        await self.store.retry(claim, delay=self.retry.delay(claim.attempts), error=waiting.message)
        return "waiting"

    async def _dead(self, claim: Claim, error: FerryError) -> str:
        payload = self._in_hand.get((claim.sync, claim.side, claim.record_id), claim.latest.payload)
        spec = self.syncs.get(claim.sync)
        link = await self.store.link(claim.sync, claim.side, claim.record_id) if spec is not None else None
        twin = link.id_on(other(claim.side)) if link is not None else None
        await self.store.dead_letter(
            claim,
            error_class=type(error).__name__,
            error=error.message,
            payload=payload,
            index=[_entry(spec, claim.side, claim.record_id, payload, twin)] if spec is not None else [],
            audit=[
                AuditEntry(
                    claim.sync,
                    claim.side,
                    claim.record_id,
                    "dead-lettered",
                    {"error": error.message, "class": type(error).__name__},
                )
            ],
        )
        log.warning(
            "dead-lettered %s/%s/%s: %s",
            claim.sync,
            claim.side,
            claim.record_id,
            error.message,
            extra={"sync": claim.sync, "side": claim.side, "record_id": claim.record_id, "outcome": "dead"},
        )
        return "dead"

    async def _call(self, connection: str, work: Awaitable[T]) -> T:
        breaker = self.breakers[connection]
        if not breaker.allow():
            if asyncio.iscoroutine(work):
                work.close()
            raise _Failed(connection, CircuitOpen(f"{connection} is unavailable (circuit open)"))
        try:
            result = await work
        except TransientError as exc:
            breaker.failure()
            raise _Failed(connection, exc) from None
        except AuthError as exc:
            raise _Failed(connection, exc) from None
        except FerryError as exc:
            breaker.success()  # the system answered; the record is at fault
            raise _Failed(connection, exc) from None
        breaker.success()
        return result

    @contextlib.asynccontextmanager
    async def _locked(self, keys: list[str]) -> AsyncIterator[bool]:
        """Hold every key (sorted, so two records never wait on each other in opposite orders).

        Yields whether another record held one of them first (what it did may need reading again).
        """
        acquired: list[str] = []
        waited = False
        try:
            for key in sorted(set(keys)):
                lock, users = self._locks.get(key, (asyncio.Lock(), 0))
                self._locks[key] = (lock, users + 1)
                waited = waited or lock.locked()
                await lock.acquire()
                acquired.append(key)
            yield waited
        finally:
            for key in acquired:
                lock, users = self._locks[key]
                lock.release()
                if users <= 1:
                    del self._locks[key]
                else:
                    self._locks[key] = (lock, users - 1)

    # --- the life of a change ---------------------------------------------------------------------

    async def _settle(self, spec: SyncSpec, claim: Claim, edit: Edit | None) -> str:
        origin: Side = claim.side
        target_side = other(origin)
        if not spec.flows_from(origin):
            await self.store.finish(claim, link=None, audit=[])
            return "one-way"
        link = await self.store.link(spec.name, origin, claim.record_id)
        keys = [f"{spec.name}:{origin}:{claim.record_id}"]
        if link is not None and link.id_on(target_side):
            keys.append(f"{spec.name}:{target_side}:{link.id_on(target_side)}")
        async with self._locked(keys):
            link = await self.store.link(spec.name, origin, claim.record_id)  # may have changed while waiting
            return await self._settle_locked(spec, claim, origin, target_side, link, edit)

    async def _settle_locked(
        self, spec: SyncSpec, claim: Claim, origin: Side, target_side: Side, link: Link | None, edit: Edit | None
    ) -> str:
        src_spec, dst_spec = spec.side(origin), spec.side(target_side)
        src, dst = self.connectors[src_spec.connection], self.connectors[dst_spec.connection]
        source: Record | None = None
        mapped = spec.deletes == "map"  # a deleted record is mapped as it was deleted, like any change
        if not claim.deleted or mapped:
            source = (
                _edited(claim, edit, src_spec.entity)
                or _read_with_event(claim, src_spec.entity)
                or await self._call(src_spec.connection, src.get(src_spec.entity, claim.record_id, **src_spec.options))
            )
            if source is not None and edit is not None and edit.source_values:
                source = dataclasses.replace(source, data=with_values(source.data, edit.source_values))
            if source is not None:
                self._in_hand[(claim.sync, claim.side, claim.record_id)] = source.data
        if not mapped and (claim.deleted or (source is not None and source.deleted)):
            return await self._delete(spec, claim, origin, target_side, link)
        if source is None:
            # Not found, or no longer in the sync's scope (a filter). Only a system's own delete
            # notice deletes a twin; a record that merely cannot be read now changes nothing.
            await self.store.finish(
                claim,
                link=None,
                audit=[
                    AuditEntry(
                        spec.name, origin, claim.record_id, "not-found", {"note": "not readable now; nothing written"}
                    )
                ],
            )
            return "gone"

        if link is not None:
            if link.deleted:
                link = None  # the twin was deleted on purpose; a new change re-creates it
            elif edit is not None and edit.decided:
                pass  # a person decided what both sides hold: written as chosen, even over ferry's own write
            elif _reconciling(claim):
                pass  # a reconciliation found the twin out of step: compare and write even if nothing changed here
            elif source.version is not None and source.version == _written_version(link, origin):
                _note_seen(link, origin, source)
                twin = link.id_on(target_side)
                await self.store.finish(
                    claim, link=link, audit=[], index=[_entry(spec, origin, source.id, source.data, twin)]
                )
                return "echo"
            elif not newer(source.version, _version(link, origin)):
                audit = [] if edit is None else [_edit_entry(spec.name, origin, source.id, "edit-not-applied", edit)]
                await self.store.finish(claim, link=None, audit=audit)
                return "stale"

        async with contextlib.AsyncExitStack() as hold:
            target: Record | None = None
            target_id = link.id_on(target_side) if link is not None else None
            if target_id is not None:
                target = await self._call(dst_spec.connection, dst.get(dst_spec.entity, target_id, **dst_spec.options))
            if target is None:
                # Two new records with the same match values (same email, say) must not both create a
                # twin, nor both link to one: whoever comes second waits, then finds the first's twin
                # already linked. Holders of match keys never wait for record keys, so no deadlock.
                if await hold.enter_async_context(self._locked(_match_keys(spec, origin, source))):
                    fresh = await self.store.link(spec.name, origin, source.id)
                    if fresh is not None and fresh.id_on(target_side) != target_id:
                        # Its twin settled while it waited and linked the two: start again from that link.
                        await self.store.retry(claim, delay=0, error="linked to its twin meanwhile; settling again")
                        return "requeued"
                target = await self._match(spec, origin, target_side, source)
            return await self._write(spec, claim, origin, target_side, link, source, target, edit)

    async def _write(
        self,
        spec: SyncSpec,
        claim: Claim,
        origin: Side,
        target_side: Side,
        link: Link | None,
        source: Record,
        target: Record | None,
        edit: Edit | None = None,
    ) -> str:
        """Map the source and make the target agree: update the twin, or create it; then remember."""
        dst_spec = spec.side(target_side)
        decided = edit is not None and edit.decided  # a person chose what both sides hold
        changed = link is not None and target is not None and _changed_since_sync(link, target_side, target)
        if changed and not decided and not _reconciling(claim):  # a reconciliation chose this side already
            assert link is not None and target is not None
            decision = self._resolve_conflict(spec, origin, source, target)
            if decision == "review":
                review = await self.store.hold_for_review(
                    claim,
                    left=(source if origin == "left" else target).data,
                    right=(target if origin == "left" else source).data,
                    reason="both sides changed since the last sync",
                    pair=(source.id, target.id) if origin == "left" else (target.id, source.id),
                    audit=[AuditEntry(spec.name, origin, source.id, "held-for-review", {}, target.id)],
                )
                await self._note_mapped(spec, review, origin, source, target)
                return "review"
            if decision == "target":
                _note_seen(link, origin, source)
                await self.store.finish(
                    claim,
                    link=link,
                    audit=[
                        AuditEntry(
                            spec.name,
                            origin,
                            source.id,
                            "conflict-kept-other-side",
                            {"policy": spec.conflicts.policy},
                            target.id,
                        )
                    ],
                    index=_pair(spec, origin, source, target.id, target.data),
                )
                return "conflict-lost"

        context = {
            "sync": spec.name,
            "source_side": origin,
            "source_id": source.id,
            "target_id": target.id if target else None,
        }
        if reason := await self._skips(spec, origin, source, context):
            audit = AuditEntry(spec.name, origin, source.id, "skipped", {"note": reason})
            twin = link.id_on(target_side) if link is not None else None
            await self.store.finish(
                claim, link=None, audit=[audit], index=[_entry(spec, origin, source.id, source.data, twin)]
            )
            log.debug("%s: %s record %s skipped: %s", spec.name, origin, source.id, reason)
            return "skipped"
        try:
            payload = await self._map(spec, origin, source, context, creating=target is None)
        except ValidationError as exc:
            payload = _completed_by(exc, edit)
        if edit is not None and edit.target_values:
            payload = with_values(payload, edit.target_values)
        written = fingerprint(payload)
        link = link or Link(spec.name, None, None)
        _set_id(link, origin, source.id)
        before = dataclasses.replace(link)  # the link as it was, should the write need saving early
        _note_seen(link, origin, source)

        if target is not None:
            delta = changes(payload, target.data)
            _set_id(link, target_side, target.id)
            if not delta:
                _note_seen(link, target_side, target)
                await self._write_back_link(spec, origin, source, target.id, link)
                noted = [] if edit is None else [_edit_entry(spec.name, origin, source.id, "edit-settled", edit)]
                await self.store.finish(
                    claim, link=link, audit=noted, index=_pair(spec, origin, source, target.id, target.data)
                )
                return "settled"
            op = WriteOp(WriteKind.UPDATE, dst_spec.entity, data=delta, id=target.id, if_match=target.version)
            action = "updated"
        else:
            delta = payload
            op = WriteOp(
                WriteKind.CREATE,
                dst_spec.entity,
                data=payload,
                idempotency_key=f"ferry-{spec.name}-{origin}-{source.id}{_heal_key(claim)}",
            )
            action = "created"
        result = await self._call(dst_spec.connection, self.batchers[dst_spec.connection].write(op))
        if not result.ok:
            error = result.error or PermanentError(f"{dst_spec.connection} refused the write without a reason")
            if isinstance(error, NotFoundError) and target is not None:
                # The twin vanished between read and write: forget it, so the retry re-creates it.
                _set_id(link, target_side, None)
                await self.store.save_link(link)
                error = ConflictError(f"{dst_spec.entity} {target.id} was deleted while syncing; it will be re-created")
            raise _Failed(dst_spec.connection, error)
        target_id = result.id or (target.id if target else None)
        _set_id(link, target_side, target_id)
        _note_written(link, target_side, written, result.version, result.record)
        if target_id is not None and _needs_write_back(spec, origin, source, target_id):
            # Remember the twin before anything else can fail, but not yet that this change is done:
            # if the write-back below fails, the retry must find the twin and finish the job.
            early = dataclasses.replace(link)
            early.left_version, early.right_version = before.left_version, before.right_version
            await self.store.save_link(early)
            await self._write_back_link(spec, origin, source, target_id, link)
        await self.store.finish(
            claim,
            link=link,
            audit=[
                AuditEntry(
                    spec.name,
                    origin,
                    source.id,
                    action,
                    {
                        "changes": delta,
                        "before": _subset(target.data, delta) if target else None,
                        "source_version": source.version,
                        "target_version": result.version,
                        **({"edit": edit.audit()} if edit is not None else {}),
                    },
                    target_id,
                )
            ],
            index=_pair(spec, origin, source, target_id, _written_data(result.record, target, delta)),
        )
        return action

    async def _map(
        self, spec: SyncSpec, origin: Side, source: Record, context: dict[str, Any], *, creating: bool
    ) -> dict[str, Any]:
        """Apply the mapping; with `twin()` references, a first pass learns which twins it needs."""
        twins = Twins(self.syncs, spec.side(origin).connection)
        mapping, data = spec.maps[origin], dict(source.data)
        context = {**context, TWINS: twins}
        try:
            payload = mapping.apply(data, context=context, creating=creating)
        except ValidationError:
            if not twins.unresolved:
                raise
            payload = {}  # a required field was a twin not read yet: mapped again below
        if not twins.unresolved:
            return payload
        await twins.resolve(self.store, self._twin_reader(twins))
        if missing := twins.missing():
            raise DependencyMissing(missing, spec.side(other(origin)).connection)
        return mapping.apply(data, context=context, creating=creating)

    async def _note_mapped(self, spec: SyncSpec, review: int, origin: Side, source: Record, target: Record) -> None:
        """Keep one side of a held conflict mapped as a write would map it, to compare it with the other."""
        side: Side = "left" if "left" in spec.maps else "right"
        record, twin = (source, target) if side == origin else (target, source)
        context = {"sync": spec.name, "source_side": side, "source_id": record.id, "target_id": twin.id}
        try:
            payload = await self._map(spec, side, record, context, creating=False)
        except (FerryError, _Failed) as exc:  # the review compares without it (and says why it cannot map)
            log.debug("%s: review %d compared without the engine's mapping: %s", spec.name, review, exc)
            return
        await ReviewDesk(self.store).note_mapped(review, side, payload)

    async def desired(
        self, spec: SyncSpec, origin: Side, source: Record, target_id: str | None
    ) -> tuple[dict[str, Any] | None, str | None]:
        """What the engine would write to the twin of `source` (whose id is `target_id`, None if it has none):
        the mapped payload, or None and the reason when the mapping skips the record. Reconciliation compares
        twins with this, so that "different" means what settling the record would change."""
        context = {"sync": spec.name, "source_side": origin, "source_id": source.id, "target_id": target_id}
        try:
            if reason := await self._skips(spec, origin, source, context):
                return None, reason
            return await self._map(spec, origin, source, context, creating=target_id is None), None
        except _Failed as failed:  # reading a twin the mapping names failed
            raise failed.error from None

    async def _skips(self, spec: SyncSpec, origin: Side, source: Record, context: dict[str, Any]) -> str | None:
        """Why the mapping's `skip_when` skips the record, or None; the twins it names are resolved first
        (a twin not there yet is null)."""
        twins = Twins(self.syncs, spec.side(origin).connection)
        mapping, data = spec.maps[origin], dict(source.data)
        context = {**context, TWINS: twins}
        skip = mapping.skips(data, context=context)
        if twins.unresolved:
            await twins.resolve(self.store, self._twin_reader(twins))
            skip = mapping.skips(data, context=context)
        if not skip:
            return None
        reason = mapping.skip_reason(data, context=context)
        if twins.unresolved:  # the reason names a twin the condition did not need
            await twins.resolve(self.store, self._twin_reader(twins))
            reason = mapping.skip_reason(data, context=context)
        return reason

    def _twin_reader(self, twins: Twins) -> Callable[[str, str], Awaitable[Mapping[str, Any] | None]]:
        """How `twin('sync', id, 'field')` reads the twin: from its system, as the sync reads that side."""

        async def read(sync: str, twin_id: str) -> Mapping[str, Any] | None:
            side_spec = self.syncs[sync].side(twins.read_side(sync))
            connector = self.connectors[side_spec.connection]
            found = await self._call(
                side_spec.connection, connector.get(side_spec.entity, twin_id, **side_spec.options)
            )
            return None if found is None or found.deleted else found.data

        return read

    async def _write_back_link(self, spec: SyncSpec, origin: Side, source: Record, twin_id: str, link: Link) -> None:
        """Store the twin's id in the origin record's link field (e.g. TIMS `ExternalID`) if it is not there."""
        if not _needs_write_back(spec, origin, source, twin_id):
            return
        assert spec.link_field is not None
        field = spec.link_field[1]
        src_spec = spec.side(origin)
        op = WriteOp(WriteKind.UPDATE, src_spec.entity, data={field: twin_id}, id=source.id)
        result = await self._call(src_spec.connection, self.batchers[src_spec.connection].write(op))
        if not result.ok:
            raise _Failed(src_spec.connection, result.error or PermanentError(f"could not store the link in {field}"))
        # Our own write: when it comes back as a change it is recognised as an echo.
        _note_written(link, origin, _written(link, origin) or "", result.version, result.record)

    async def _match(self, spec: SyncSpec, origin: Side, target_side: Side, source: Record) -> Record | None:
        """Find an existing twin: by the stored link field, then by each match rule in order."""
        dst_spec = spec.side(target_side)
        dst = self.connectors[dst_spec.connection]
        candidates: list[Record] = []
        if spec.link_field is not None:
            side, field = spec.link_field
            if side == target_side:
                candidates = await self._lookup(spec, target_side, field, source.id, unique=False)
            elif source.data.get(field):
                found = await self._call(dst_spec.connection, dst.get(dst_spec.entity, str(source.data[field])))
                candidates = [found] if found is not None else []
        for rule in spec.match:
            if candidates:
                break
            mine, theirs = (rule.left, rule.right) if origin == "left" else (rule.right, rule.left)
            value = source.data.get(mine)
            if value not in (None, "") and rule.via is not None:
                value = await self._through(rule.via, spec.side(origin).connection, str(value))
            if value in (None, ""):
                continue
            candidates = await self._lookup(spec, target_side, theirs, value, unique=True)
        if not candidates and spec.find_by:
            candidates = await self._find_by(spec, origin, target_side, source)
        for candidate in candidates:
            if candidate.deleted or _linked_elsewhere(spec, target_side, candidate, source.id):
                continue
            existing = await self.store.link(spec.name, target_side, candidate.id)
            if existing is None or existing.id_on(origin) in (None, source.id):
                return candidate
        return None

    async def _find_by(self, spec: SyncSpec, origin: Side, target_side: Side, source: Record) -> list[Record]:
        """The one target record whose `find_by` fields equal the mapped payload's (none when a value is null,
        or the mapping fails: writing the record then reports why)."""
        context = {"sync": spec.name, "source_side": origin, "source_id": source.id, "target_id": None}
        try:
            payload = await self._map(spec, origin, source, context, creating=True)
        except ValidationError:
            return []
        key = {name: payload.get(name) for name in spec.find_by}
        if any(value in (None, "") for value in key.values()):
            return []
        dst_spec = spec.side(target_side)
        found = await self._call(dst_spec.connection, self.connectors[dst_spec.connection].find(dst_spec.entity, key))
        return found if len(found) == 1 else []

    async def _through(self, via: str, connection: str, record_id: str) -> str | None:
        """The twin that sync `via` keeps of `record_id`, a record of `connection` (None if it has none)."""
        twins = Twins(self.syncs, connection)
        twins(via, record_id)
        await twins.resolve(self.store)
        return twins.known.get((via, record_id))

    async def _lookup(self, spec: SyncSpec, side: Side, field: str, value: Any, *, unique: bool) -> list[Record]:
        """Records of `side` whose `field` equals `value`; with `unique`, none unless exactly one does.

        During an initial load the side's match index answers without a request, and only a hit is read.
        """
        side_spec = spec.side(side)
        connector = self.connectors[side_spec.connection]
        index = self.indexes.get((spec.name, side))
        if index is None or not index.covers(field):
            found = await self._call(side_spec.connection, connector.find(side_spec.entity, {field: value}))
            return found if not unique or len(found) == 1 else []  # ambiguous matches link nothing
        ids = index.ids(field, value)
        if unique and len(ids) != 1:
            return []
        found = []
        for record_id in ids:
            record = await self._call(
                side_spec.connection, connector.get(side_spec.entity, record_id, **side_spec.options)
            )
            if record is not None:
                found.append(record)
        return found if not unique or len(found) == 1 else []

    def _resolve_conflict(self, spec: SyncSpec, origin: Side, source: Record, target: Record) -> str:
        policy = spec.conflicts
        if policy.policy == "review":
            return "review"
        if policy.policy == "system_of_record":
            return "source" if policy.winner == origin else "target"
        if source.modified_at and target.modified_at and target.modified_at > source.modified_at:
            return "target"
        return "source"

    async def _delete(self, spec: SyncSpec, claim: Claim, origin: Side, target_side: Side, link: Link | None) -> str:
        target_id = link.id_on(target_side) if link is not None else None
        if link is None or target_id is None or link.deleted or spec.deletes == "ignore":
            await self.store.finish(claim, link=None, audit=[])
            return "delete-ignored"
        dst_spec = spec.side(target_side)
        result = await self._call(
            dst_spec.connection,
            self.batchers[dst_spec.connection].write(WriteOp(WriteKind.DELETE, dst_spec.entity, id=target_id)),
        )
        if not result.ok and not isinstance(result.error, NotFoundError):
            raise _Failed(dst_spec.connection, result.error or PermanentError("delete refused"))
        link.deleted = True
        await self.store.finish(
            claim, link=link, audit=[AuditEntry(spec.name, origin, claim.record_id, "deleted", {}, target_id)]
        )
        return "deleted"


def _reconciling(claim: Claim) -> bool:
    """Was the record queued by a reconciliation's heal (its twin is out of step, whatever versions say)?"""
    return any(e.source == "reconcile" for e in claim.events)


def _heal_key(claim: Claim) -> str:
    """A heal re-creates a twin that was deleted: a key of its own, so the system does not answer with the
    create it remembers under the record's usual key (the twin now gone)."""
    healing = [e.id for e in claim.events if e.source == "reconcile"]
    return f"-heal{healing[0]}" if healing else ""


def _entry(
    spec: SyncSpec, side: Side, record_id: str, data: Mapping[str, Any] | None, twin_id: str | None
) -> IndexEntry:
    side_spec = spec.side(side)
    return index_entry(
        spec.name,
        side,
        record_id,
        connection=side_spec.connection,
        entity=side_spec.entity,
        data=data,
        twin_id=twin_id,
        fields=side_spec.search,
    )


def _pair(
    spec: SyncSpec, origin: Side, source: Record, target_id: str | None, target_data: Mapping[str, Any]
) -> list[IndexEntry]:
    """Search entries of the source record and, once it has one, its twin."""
    entries = [_entry(spec, origin, source.id, source.data, target_id)]
    if target_id is not None:
        entries.append(_entry(spec, other(origin), target_id, target_data, source.id))
    return entries


def _written_data(written: Record | None, before: Record | None, delta: Mapping[str, Any]) -> Mapping[str, Any]:
    """The target as it is after the write: as the system answered it, or as it was with the changes applied."""
    if written is not None:
        return written.data
    return {**(before.data if before is not None else {}), **delta}


def _linked_elsewhere(spec: SyncSpec, side: Side, candidate: Record, source_id: str) -> bool:
    """Does the candidate's link field (e.g. TIMS `ExternalID`) already name a different record?"""
    if spec.link_field is None or spec.link_field[0] != side:
        return False
    named = candidate.data.get(spec.link_field[1])
    return named not in (None, "") and str(named) != source_id


def _match_keys(spec: SyncSpec, origin: Side, source: Record) -> list[str]:
    """Lock keys for the values a new record could be matched by, the same from either side."""
    keys = []
    for n, rule in enumerate(spec.match):
        value = source.data.get(rule.left if origin == "left" else rule.right)
        if value not in (None, ""):
            keys.append(f"{spec.name}:match:{n}:{value}")
    return keys


def _needs_write_back(spec: SyncSpec, origin: Side, source: Record, twin_id: str) -> bool:
    """Does the origin record keep the twin's id in a field, and not have it there yet?"""
    if spec.link_field is None or spec.link_field[0] != origin:
        return False
    return str(source.data.get(spec.link_field[1]) or "") != twin_id


def _read_with_event(claim: Claim, entity: str) -> Record | None:
    """A polled record is the current state as of its read: use it rather than fetch it again.

    Webhook payloads are not trusted this way (they may be partial, or late); those are fetched.
    """
    latest = claim.latest
    if latest.source not in ("poll", "initial") or latest.payload is None or latest.kind == "delete":
        return None
    return Record(entity, claim.record_id, latest.payload, latest.version, latest.occurred_at)


def _edited(claim: Claim, edit: Edit | None, entity: str) -> Record | None:
    """The record a person edited, used instead of reading it (as the version that failed, if known)."""
    if edit is None or edit.record is None:
        return None
    latest = claim.latest
    return Record(entity, claim.record_id, dict(edit.record), latest.version, latest.occurred_at)


def _completed_by(error: ValidationError, edit: Edit | None) -> dict[str, Any]:
    """What the mapping could map, when a person's overrides give every field it could not; else re-raise."""
    mapped = error.context.get("mapped")
    given = edit.target_values if edit is not None else {}
    if not isinstance(mapped, dict) or not error.field_errors or set(error.field_errors) - set(given):
        raise error
    return mapped


def _edit_entry(sync: str, side: Side, record_id: str, action: str, edit: Edit) -> AuditEntry:
    return AuditEntry(sync, side, record_id, action, {"edit": edit.audit()})


def _version(link: Link, side: Side) -> str | None:
    return link.left_version if side == "left" else link.right_version


def _written_version(link: Link, side: Side) -> str | None:
    return link.left_written_version if side == "left" else link.right_written_version


def _written(link: Link, side: Side) -> str | None:
    return link.left_written if side == "left" else link.right_written


def _set_id(link: Link, side: Side, record_id: str | None) -> None:
    if side == "left":
        link.left_id = record_id
    else:
        link.right_id = record_id


def _note_seen(link: Link, side: Side, record: Record) -> None:
    if side == "left":
        link.left_version, link.left_modified_at = record.version, record.modified_at or link.left_modified_at
    else:
        link.right_version, link.right_modified_at = record.version, record.modified_at or link.right_modified_at


def _note_written(link: Link, side: Side, written: str, version: str | None, record: Record | None) -> None:
    modified: datetime | None = record.modified_at if record is not None else None
    if side == "left":
        link.left_written, link.left_written_version, link.left_version = written, version, version
        link.left_modified_at = modified or link.left_modified_at
    else:
        link.right_written, link.right_written_version, link.right_version = written, version, version
        link.right_modified_at = modified or link.right_modified_at


def _changed_since_sync(link: Link, side: Side, current: Record) -> bool:
    """Has the record on `side` changed since the engine last saw or wrote it?"""
    seen, wrote = _version(link, side), _written_version(link, side)
    if current.version is None or seen is None:
        return False
    return current.version not in (seen, wrote) and newer(current.version, seen)


def _subset(data: Mapping[str, Any], keys: Mapping[str, Any]) -> dict[str, Any]:
    return {k: data.get(k) for k in keys}
