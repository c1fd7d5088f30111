"""The control API's dead-letter fixing: groups by cause, replay with an edit, bulk replay and drop."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field, field_validator, model_validator

from ferry.api.models import DeadLetterOut, DropRequest
from ferry.engine.causes import cause
from ferry.engine.edits import ANONYMOUS, EditError, replay_edit
from ferry.engine.spec import SyncSpec
from ferry.engine.store.base import DeadLetter
from ferry.engine.store.dead_letters import GROUP_IDS, DeadLetterFixes, Outcome
from ferry.engine.store.sqlite import SqliteStore

MAX_BULK = 10_000


class GroupOut(BaseModel):
    sync: str
    error_class: str
    cause: str = Field(description="The error with record ids, numbers, dates and quoted values replaced.")
    count: int
    letter_ids: list[int] = Field(description=f"The first {GROUP_IDS} letters of the group, oldest first.")
    first_at: datetime
    last_at: datetime


class ReplayRequest(BaseModel):
    """An optional fix for this one replay (without a body, the record is read again as it is now)."""

    payload: dict[str, Any] | None = Field(
        None, description="The source record as ferry will read it, edited: used once, instead of reading it."
    )
    overrides: dict[str, Any] | None = Field(
        None, description="Target field -> value, laid over the mapped output before it is written, once."
    )

    @field_validator("payload", mode="before")
    @classmethod
    def _an_object(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, dict):
            raise ValueError(
                f"payload must be a JSON object (the record as ferry reads it), not {type(value).__name__}"
            )
        return value

    @field_validator("overrides", mode="before")
    @classmethod
    def _fields(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, dict):
            raise ValueError('overrides must be a JSON object of target field -> value, e.g. {"Country": "AU"}')
        return value


class Selection(BaseModel):
    """Letters named by id, or a group: its sync and cause (and error class, to tell causes apart)."""

    ids: list[int] | None = Field(None, max_length=MAX_BULK)
    sync: str | None = None
    cause: str | None = None
    error_class: str | None = None

    @model_validator(mode="after")
    def _one_way_of_naming(self) -> Selection:
        if (self.ids is None) == (self.sync is None or self.cause is None):
            raise ValueError("name the letters by `ids`, or a group by `sync` and `cause` (not both)")
        return self


class DropSelection(Selection):
    reason: str = Field(min_length=1, max_length=2000, description="Why they are dropped (kept in the audit).")


class LetterOutcome(BaseModel):
    id: int
    outcome: str = Field(description="replayed, dropped, already replayed, already dropped or not found.")


class BulkOut(BaseModel):
    done: int = Field(description="How many letters this call replayed or dropped.")
    letters: list[LetterOutcome]


def who(request: Request) -> str:
    """The person making the request (when login is on), else `anonymous`."""
    user = getattr(request.state, "user", None)
    return str(getattr(user, "name", None) or ANONYMOUS)


def letter_out(d: DeadLetter, *, payload: bool) -> DeadLetterOut:
    return DeadLetterOut(
        id=d.id,
        sync=d.sync,
        side=d.side,
        record_id=d.record_id,
        error_class=d.error_class,
        error=d.error,
        attempts=d.attempts,
        created_at=d.created_at,
        state=d.state,
        reason=d.reason,
        payload=d.payload if payload else None,
        cause=cause(d.error, d.record_id),
    )


async def find_letter(store: SqliteStore, letter_id: int) -> DeadLetter:
    letter = await store.dead_letter_by_id(letter_id)
    if letter is None:
        raise HTTPException(404, f"There is no dead letter {letter_id}.")
    return letter


def dead_letter_routes(store: SqliteStore, syncs: Mapping[str, SyncSpec]) -> APIRouter:
    router = APIRouter(prefix="/api/dead-letters", tags=["dead letters"])
    fixes = DeadLetterFixes(store)

    @router.get("/groups", response_model=list[GroupOut])
    async def groups(sync: str | None = None) -> list[GroupOut]:
        """Open dead letters grouped by cause, the largest group first."""
        return [
            GroupOut(
                sync=g.sync,
                error_class=g.error_class,
                cause=g.cause,
                count=g.count,
                letter_ids=list(g.letter_ids),
                first_at=g.first_at,
                last_at=g.last_at,
            )
            for g in await fixes.groups(sync=sync)
        ]

    @router.post("/replay", response_model=BulkOut)
    async def replay_many(body: Selection, request: Request) -> BulkOut:
        """Replay the letters named, or a whole group; letters already closed are reported, not errors."""
        by = who(request)
        outcomes = [(i, await fixes.replay(i, by=by)) for i in await _selected(fixes, body)]
        return _bulk(outcomes)

    @router.post("/drop", response_model=BulkOut)
    async def drop_many(body: DropSelection, request: Request) -> BulkOut:
        """Drop the letters named, or a whole group, with a reason."""
        by = who(request)
        outcomes = [(i, await fixes.drop(i, by=by, reason=body.reason)) for i in await _selected(fixes, body)]
        return _bulk(outcomes)

    @router.post("/{letter_id}/replay", response_model=DeadLetterOut)
    async def replay(letter_id: int, request: Request, body: ReplayRequest | None = None) -> DeadLetterOut:
        """Queue the record again; with `payload` and/or `overrides`, settled once with that fix."""
        letter = await find_letter(store, letter_id)
        by = who(request)
        try:
            edit = (
                replay_edit(letter, syncs.get(letter.sync), by=by, payload=body.payload, overrides=body.overrides)
                if body is not None
                else None
            )
        except EditError as exc:
            raise HTTPException(422, str(exc)) from None
        if await fixes.replay(letter_id, by=by, edit=edit) != "replayed":
            raise HTTPException(409, f"Dead letter {letter_id} is already {letter.state}.")
        return letter_out(await find_letter(store, letter_id), payload=False)

    @router.post("/{letter_id}/drop", response_model=DeadLetterOut)
    async def drop(letter_id: int, body: DropRequest, request: Request) -> DeadLetterOut:
        """Give up on the record, with a reason (kept in its history)."""
        letter = await find_letter(store, letter_id)
        if await fixes.drop(letter_id, by=who(request), reason=body.reason) != "dropped":
            raise HTTPException(409, f"Dead letter {letter_id} is already {letter.state}.")
        return letter_out(await find_letter(store, letter_id), payload=False)

    return router


async def _selected(fixes: DeadLetterFixes, body: Selection) -> list[int]:
    if body.ids is not None:
        return list(dict.fromkeys(body.ids))
    assert body.sync is not None and body.cause is not None
    found = await fixes.in_group(body.sync, body.cause, body.error_class)
    if not found:
        raise HTTPException(
            404,
            f"No open dead letter of sync '{body.sync}' has the cause {body.cause!r}; see the causes at "
            "/api/dead-letters/groups",
        )
    return [letter.id for letter in found]


def _bulk(outcomes: list[tuple[int, Outcome]]) -> BulkOut:
    return BulkOut(
        done=sum(o in ("replayed", "dropped") for _, o in outcomes),
        letters=[LetterOutcome(id=i, outcome=o) for i, o in outcomes],
    )
