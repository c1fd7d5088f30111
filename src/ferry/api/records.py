"""The control API's record part: find a record by id, number, email or name; and its lineage.

`GET /api/records/search?q=...` answers from the search index the engine fills as it settles records;
`GET /api/lineage/{sync}/{side}/{record_id}` is one timeline of everything ferry knows about a record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from ferry.engine.lineage import lineage, ref
from ferry.engine.store.search import IndexedRecord
from ferry.engine.store.sqlite import SqliteStore

MAX_QUERY = 200
MAX_LIMIT = 200


class RecordMatch(BaseModel):
    sync: str
    side: Literal["left", "right"]
    connection: str
    entity: str
    record_id: str
    label: str = Field(description="What people call the record, e.g. `Contoso Ltd (ACC-1001)`.")
    twin_id: str | None = Field(description="Its twin's id in the other system, once ferry has linked them.")
    last_seen: datetime = Field(description="When ferry last settled a change of it or wrote to it.")
    lineage_url: str = Field(description="Its lineage in this API.")
    console_url: str = Field(description="Its page in the console.")


class RecordRefOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sync: str
    side: Literal["left", "right"]
    record_id: str
    connection: str | None = Field(description="None when ferry has not settled the record since record search came.")
    entity: str | None
    label: str
    last_seen: datetime | None
    lineage_url: str
    console_url: str


class MomentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime | None
    kind: str = Field(
        description="event, write, audit, dead-letter, dead-letter-resolved, review, review-decided, run, "
        "run-ended or run-step."
    )
    summary: str = Field(description="One line for people.")
    side: Literal["left", "right"] = Field(description="The side of the record the entry is about.")
    record_id: str
    detail: dict[str, Any] = Field(description="The entry's fields; writes carry `before` and `after`, masked.")
    url: str | None = Field(None, description="The console page of the dead letter, review or run it names.")


class LineageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    record: RecordRefOut
    twin: RecordRefOut | None = Field(description="Its twin in the other system, with the link to its own lineage.")
    deleted: bool = Field(description="Was the pair unlinked by a deletion?")
    timeline: list[MomentOut] = Field(description="Oldest first.")
    truncated: bool = Field(description="Were older events or writes left out (over 1,000 of either)?")


def match_out(r: IndexedRecord) -> RecordMatch:
    link = ref(r.sync, r.side, r.record_id, r)
    return RecordMatch(
        sync=r.sync,
        side=r.side,
        connection=r.connection,
        entity=r.entity,
        record_id=r.record_id,
        label=r.label,
        twin_id=r.twin_id,
        last_seen=r.last_seen,
        lineage_url=link.lineage_url,
        console_url=link.console_url,
    )


def record_routes(store: SqliteStore) -> APIRouter:
    router = APIRouter()

    @router.get("/api/records/search", response_model=list[RecordMatch])
    async def search(q: str | None = None, limit: str = "20") -> list[RecordMatch]:
        """Records whose id, twin's id, number, code, email or name contains `q`, in any case; best first."""
        text = (q or "").strip()
        if not 1 <= len(text) <= MAX_QUERY:
            raise HTTPException(
                422,
                f"Give `q`, the text to look for: 1 to {MAX_QUERY} characters (an id, a number, an email or a "
                f"name); got {len(text)}.",
            )
        count = int(limit) if limit.strip().isdigit() else 0
        if not 1 <= count <= MAX_LIMIT:
            raise HTTPException(422, f"`limit` is how many matches to return: a whole number from 1 to {MAX_LIMIT}.")
        return [match_out(r) for r in await store.records.search(text, limit=count)]

    @router.get("/api/lineage/{sync}/{side}/{record_id:path}", response_model=LineageOut)
    async def record_lineage(sync: str, side: str, record_id: str) -> LineageOut:
        """Everything ferry knows about one record, oldest first, and its twin in the other system."""
        if side not in ("left", "right"):
            raise HTTPException(422, f"The side is `left` or `right`, not {side!r}.")
        found = await lineage(store, sync, "left" if side == "left" else "right", record_id)
        if found is None:
            raise HTTPException(
                404,
                f"ferry knows nothing of {side} record {record_id!r} of sync {sync!r}: check the sync name and "
                "side, or find the record with /api/records/search?q=...",
            )
        return LineageOut.model_validate(found)

    return router
