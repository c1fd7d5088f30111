"""The example in docs/connectors/dynamics365.md runs as written against the sandbox."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.connectors.dynamics365.conftest import TENANT, Served

PAGE = Path(__file__).parents[3] / "docs" / "connectors" / "dynamics365.md"


async def test_the_example_runs(served: Served, capsys: pytest.CaptureFixture[str]) -> None:
    await served.control("POST", "reset", {})
    (source,) = re.findall(r"```python\n(.*?)```", PAGE.read_text(), re.DOTALL)
    namespace: dict[str, Any] = {}
    exec(compile(source, str(PAGE), "exec"), namespace)
    creds = served.sandbox.credentials()
    await namespace["main"](served.url, TENANT, creds["client_id"], creds["client_secret"])
    out = capsys.readouterr().out
    assert "accounts; resume from delta:" in out
    assert re.search(r"account [0-9a-f-]{36} version \d+ created", out)
