"""The example on the connector's docs page runs against the sandbox."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.connectors.tims.conftest import Tims

PAGE = Path(__file__).parents[3] / "docs" / "connectors" / "tims.md"


async def test_the_docs_example_runs(tims: Tims, capsys: pytest.CaptureFixture[str]) -> None:
    example = re.search(r"```python\n(.*?)```", PAGE.read_text(), re.S)
    assert example is not None
    namespace: dict[str, Any] = {}
    exec(compile(example.group(1), str(PAGE), "exec"), namespace)

    await namespace["main"](tims.url, tims.sandbox.credentials()["api_key"])

    printed = capsys.readouterr().out
    assert "requests left:" in printed and "customers; resume from" in printed and "version" in printed
