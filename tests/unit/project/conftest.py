from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ferry.core.problems import Problem

VALID = """\
version: 1
name: test
connections:
  d365:
    type: dynamics365
    url: http://127.0.0.1:7071
    tenant: ferrysandbox.onmicrosoft.com
    client_id: app-id
    client_secret: ${secret:d365-secret}
  tims:
    type: tims
    url: http://127.0.0.1:7072
    api_key: ${env:TIMS_KEY}
syncs:
  - name: customers
    left: {connection: d365, entity: accounts}
    right: {connection: tims, entity: customers}
    map:
      left_to_right: mappings/l2r.yaml
      right_to_left: mappings/r2l.yaml
    link: {right: ExternalID}
"""


@pytest.fixture(autouse=True)
def _no_mapping_language(monkeypatch: pytest.MonkeyPatch) -> None:
    """Project checks are tested on their own; the mapping language's checks have their own tests."""
    monkeypatch.setattr("ferry.project.project.mapping_language_checker", lambda: None)


@pytest.fixture(autouse=True)
def _no_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FERRY_SECRET_KEY", raising=False)
    monkeypatch.delenv("FERRY_SECRET_KEY_FILE", raising=False)


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[[str], Path]:
    """Write `text` as ferry.yaml (with the two mapping files VALID names) and return the directory."""

    def make(text: str = VALID) -> Path:
        (tmp_path / "mappings").mkdir(exist_ok=True)
        for name in ("l2r.yaml", "r2l.yaml"):
            (tmp_path / "mappings" / name).write_text("fields: {}\n")
        (tmp_path / "ferry.yaml").write_text(text)
        return tmp_path

    return make


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the `occurrence`-th line containing `needle`."""
    hits = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    return hits[occurrence - 1]


def only(problems: list[Problem], containing: str) -> Problem:
    matches = [p for p in problems if containing in p.message]
    assert len(matches) == 1, problems
    return matches[0]
