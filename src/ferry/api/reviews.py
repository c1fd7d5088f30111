"""The control API's conflict reviews: both records side by side, and a person's choice per field."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field, field_validator

from ferry.api.letters import who
from ferry.engine.comparison import Choice, Comparison, DecisionError, compare
from ferry.engine.comparison import resolve as settle
from ferry.engine.spec import SyncSpec
from ferry.engine.store.base import other
from ferry.engine.store.reviews import Review, ReviewDesk, ReviewState
from ferry.engine.store.sqlite import SqliteStore

SideName = Literal["left", "right"]


class FieldOut(BaseModel):
    field: str = Field(description="A field of the compared shape (the side named by `shape`).")
    left: Any = Field(description="The left side's value (mapped, when `mapped` is left).")
    right: Any = Field(description="The right side's value (mapped, when `mapped` is right).")
    differs: bool


class ReviewSummary(BaseModel):
    id: int
    sync: str
    side: str = Field(description="The side whose change found the conflict.")
    record_id: str
    left_id: str | None
    right_id: str | None
    reason: str
    state: ReviewState
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    differing: list[str] = Field(description="The fields whose values differ.")


class ReviewOut(ReviewSummary):
    shape: SideName = Field(description="Whose fields the rows are: that side's record is shown as it is.")
    mapped: SideName = Field(description="The side shown through its mapping into the shape's fields.")
    mapping: str = Field(description="The mapping that turned the mapped side's record into the shape's fields.")
    sources: dict[str, str] = Field(description="Where each column's values come from, in words.")
    mapping_error: str | None = Field(description="Why the mapped side could not be mapped, if it could not.")
    fields: list[FieldOut]
    left_record: dict[str, Any] | None = Field(description="The left record as it was when the review was held.")
    right_record: dict[str, Any] | None = Field(description="The right record as it was when the review was held.")
    decision: dict[str, Any] | None = Field(description="What was chosen (or why it was dismissed), once decided.")


class ValueChoice(BaseModel):
    value: Any = Field(description="The value both sides get for this field.")


class ResolveRequest(BaseModel):
    choices: dict[str, SideName | ValueChoice] = Field(
        default_factory=dict, description='Field -> "left", "right" or {"value": ...}.'
    )
    take: SideName | None = Field(None, description="The side whose values every differing field not chosen takes.")

    @field_validator("choices", mode="before")
    @classmethod
    def _each_a_choice(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            raise ValueError('choices must be an object of field -> "left", "right" or {"value": ...}')
        for name, choice in value.items():
            if choice not in ("left", "right") and not (isinstance(choice, dict) and set(choice) == {"value"}):
                raise ValueError(f'the choice for {name} must be "left", "right" or {{"value": ...}}, not {choice!r}')
        return value


class DismissRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="Why nothing is written (kept in the audit).")


class WriteOut(BaseModel):
    side: SideName = Field(description="The side written.")
    source: SideName = Field(description="The side whose record is mapped to write it.")
    record_id: str = Field(description="The source record of the write.")
    fields: dict[str, Any] = Field(description="The fields that change on the side written: before and after.")


class ResolveOut(BaseModel):
    review: ReviewOut
    writes: list[WriteOut] = Field(description="The writes queued; the engine carries them out as it does any change.")
    notes: list[str] = Field(description="Sides not written, and why.")


def summary(review: Review, comparison: Comparison | None) -> ReviewSummary:
    return ReviewSummary(
        id=review.id,
        sync=review.sync,
        side=review.side,
        record_id=review.record_id,
        left_id=review.left_id,
        right_id=review.right_id,
        reason=review.reason,
        state=review.state,
        created_at=review.created_at,
        decided_at=review.decided_at,
        decided_by=review.decided_by,
        differing=comparison.differing if comparison is not None else [],
    )


def review_out(review: Review, comparison: Comparison) -> ReviewOut:
    mapped, shape = comparison.mapped, comparison.shape
    return ReviewOut(
        **summary(review, comparison).model_dump(),
        shape=shape,
        mapped=mapped,
        mapping=comparison.mapping,
        sources={
            mapped: f"the {mapped} record mapped by '{comparison.mapping}' into the {shape} side's fields",
            shape: f"the {shape} record as it is",
        },
        mapping_error=comparison.mapping_error,
        fields=[FieldOut(field=r.field, left=r.left, right=r.right, differs=r.differs) for r in comparison.rows],
        left_record=review.left,
        right_record=review.right,
        decision=review.decision,
    )


def spec_of(syncs: Mapping[str, SyncSpec], review: Review) -> SyncSpec:
    spec = syncs.get(review.sync)
    if spec is None or not spec.maps:
        raise HTTPException(
            409, f"Review {review.id} is of sync '{review.sync}', which the project ferry runs no longer has."
        )
    return spec


def _comparison(syncs: Mapping[str, SyncSpec], review: Review) -> Comparison | None:
    spec = syncs.get(review.sync)
    return compare(spec, review) if spec is not None and spec.maps else None


def review_routes(store: SqliteStore, syncs: Mapping[str, SyncSpec]) -> APIRouter:
    router = APIRouter(prefix="/api/reviews", tags=["reviews"])
    desk = ReviewDesk(store)

    async def found(review_id: int) -> Review:
        review = await desk.get(review_id)
        if review is None:
            raise HTTPException(404, f"There is no review {review_id}.")
        return review

    @router.get("", response_model=list[ReviewSummary])
    async def reviews(
        sync: str | None = None,
        state: ReviewState = "open",
        limit: int = Query(500, ge=1, le=5000),
        offset: int = Query(0, ge=0),
    ) -> list[ReviewSummary]:
        """Conflicts held for a person, oldest first."""
        listed = await desk.list(sync=sync, state=state, limit=limit, offset=offset)
        return [summary(r, _comparison(syncs, r)) for r in listed]

    @router.get("/{review_id}", response_model=ReviewOut)
    async def review(review_id: int) -> ReviewOut:
        """Both records side by side, per field, with the fields that differ."""
        held = await found(review_id)
        return review_out(held, compare(spec_of(syncs, held), held))

    @router.post("/{review_id}/resolve", response_model=ResolveOut)
    async def resolve(review_id: int, body: ResolveRequest, request: Request) -> ResolveOut:
        """Write the chosen values to the side(s) that differ, and close the review."""
        held = await found(review_id)
        if held.state != "open":
            raise HTTPException(409, f"Review {review_id} is already {held.state} (by {held.decided_by}).")
        choices: dict[str, Choice] = {
            k: v if isinstance(v, str) else {"value": v.value} for k, v in body.choices.items()
        }
        try:
            done = await settle(desk, spec_of(syncs, held), held, choices, body.take, by=who(request))
        except DecisionError as exc:
            raise HTTPException(422, str(exc)) from None
        if not done.decided:
            raise HTTPException(409, f"Review {review_id} was decided meanwhile.")
        return ResolveOut(
            review=review_out(await found(review_id), done.comparison),
            writes=[
                WriteOut(side=other(e.side), source=e.side, record_id=e.record_id, fields=edit.changes)
                for e, edit in done.writes
            ],
            notes=done.notes,
        )

    @router.post("/{review_id}/dismiss", response_model=ReviewSummary)
    async def dismiss(review_id: int, body: DismissRequest, request: Request) -> ReviewSummary:
        """Close the review without writing anything: both sides keep what they hold."""
        held = await found(review_id)
        if not await desk.dismiss(review_id, by=who(request), reason=body.reason):
            raise HTTPException(409, f"Review {review_id} is already {held.state} (by {held.decided_by}).")
        return summary(await found(review_id), None)

    return router
