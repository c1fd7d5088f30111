from __future__ import annotations

import asyncio

import pytest

from ferry.core.errors import TransientError
from ferry.core.records import WriteKind, WriteOp
from ferry.engine.batcher import WriteBatcher
from tests.unit.engine.fakes import FakeSystem


async def test_concurrent_writes_share_one_call_and_each_gets_its_result() -> None:
    system = FakeSystem("R")
    batcher = WriteBatcher(system, max_batch=50)  # type: ignore[arg-type]
    ops = [WriteOp(WriteKind.CREATE, "things", {"n": n}) for n in range(20)]
    results = await asyncio.gather(*(batcher.write(op) for op in ops))
    assert batcher.calls == 1
    assert [system.rows[r.id or ""]["n"] for r in results] == list(range(20))


async def test_batches_never_exceed_the_limit() -> None:
    system = FakeSystem("R")
    batcher = WriteBatcher(system, max_batch=7)  # type: ignore[arg-type]
    await asyncio.gather(*(batcher.write(WriteOp(WriteKind.CREATE, "things", {"n": n})) for n in range(20)))
    assert batcher.calls == 3
    assert len(system.rows) == 20


async def test_a_failed_call_fails_every_write_in_it() -> None:
    system = FakeSystem("R")
    system.fail_next_call.append(TransientError("503"))
    batcher = WriteBatcher(system)  # type: ignore[arg-type]
    outcomes = await asyncio.gather(
        *(batcher.write(WriteOp(WriteKind.CREATE, "things", {})) for _ in range(3)), return_exceptions=True
    )
    assert all(isinstance(o, TransientError) for o in outcomes)
    with pytest.raises(TransientError):
        system.fail_next_call.append(TransientError("503"))
        await batcher.write(WriteOp(WriteKind.CREATE, "things", {}))
