"""Fixtures shared by the unit tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ferry.engine.store import SqliteStore


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    """An empty embedded store in the test's directory (a test that needs a clock makes its own)."""
    s = SqliteStore(tmp_path / "s.db")
    await s.open()
    yield s
    await s.close()
