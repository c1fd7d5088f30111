"""The example on the connector's docs page runs against the sandbox."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.connectors.storefront.conftest import Shop

PAGE = Path(__file__).parents[3] / "docs" / "connectors" / "storefront.md"


async def test_the_docs_example_runs(shop: Shop, capsys: pytest.CaptureFixture[str]) -> None:
    example = re.search(r"```python\n(.*?)```", PAGE.read_text(), re.S)
    assert example is not None
    namespace: dict[str, Any] = {}
    exec(compile(example.group(1), str(PAGE), "exec"), namespace)

    await namespace["main"](shop.url, shop.credentials["access_token"])

    printed = capsys.readouterr().out
    assert "calls left in the bucket: 39" in printed and "orders; resume from" in printed
    assert "available 12" in printed
