"""Concurrent single-row reads of Dataverse become one query (`connectors/dynamics365/gets.py`)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from ferry.connectors.dynamics365.gets import GetBatcher, is_guid
from ferry.core.errors import TransientError
from ferry.core.records import Record

IDS = ["6f1c4a0e-0000-4000-8000-00000000000" + str(n) for n in range(5)]


async def test_gets_at_the_same_moment_are_one_query_and_each_caller_gets_its_row() -> None:
    asked: list[Sequence[str]] = []

    async def fetch(ids: Sequence[str]) -> list[Record]:
        asked.append(ids)
        return [Record("accounts", i.upper(), {"n": IDS.index(i)}) for i in ids if i != IDS[3]]

    batcher = GetBatcher(max_ids=100)
    rows = await asyncio.gather(*(batcher.get("accounts", i, fetch) for i in [*IDS, IDS[0]]))
    assert len(asked) == 1 and sorted(asked[0]) == sorted(IDS)  # one query, each id once
    assert [r.data["n"] if r else None for r in rows] == [0, 1, 2, None, 4, 0]  # a missing row is None


async def test_a_failed_query_fails_every_caller_in_it_and_a_full_batch_goes_at_once() -> None:
    calls = 0

    async def fetch(ids: Sequence[str]) -> list[Record]:
        nonlocal calls
        calls += 1
        raise TransientError("Dataverse is busy")

    batcher = GetBatcher(max_ids=2, window=60)  # a window that never ends: only a full batch sends
    results = await asyncio.gather(*(batcher.get("accounts", i, fetch) for i in IDS[:4]), return_exceptions=True)
    assert calls == 2
    assert all(isinstance(r, TransientError) for r in results)


@pytest.mark.parametrize(("text", "ok"), [(IDS[0], True), ("10021", False), ("x' or 1 eq 1", False)])
def test_only_guids_are_asked_for(text: str, ok: bool) -> None:
    assert is_guid(text) is ok
