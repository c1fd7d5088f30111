"""A connection's settings changed from the console: comments kept, nothing written unless valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from ferry.core.errors import ConfigError
from ferry.project import Project
from ferry.project.edit import change_connection
from ferry.project.templates import init_project


@pytest.fixture
def root(tmp_path: Path) -> Path:
    init_project(tmp_path / "p", "dynamics365-tims")
    return tmp_path / "p"


def test_a_setting_changes_and_every_comment_and_other_line_stays(root: Path) -> None:
    text = (root / "ferry.yaml").read_text().replace("poll_seconds: 60", "poll_seconds: null", 1)
    (root / "ferry.yaml").write_text(text)
    before = (root / "ferry.yaml").read_text()
    edited = change_connection(root, "tims", {"url": "https://tims.example.com"})
    after = (root / "ferry.yaml").read_text()
    assert edited.ok and "+    url: https://tims.example.com" in edited.diff
    assert Project.load(root).connections["tims"].settings["url"] == "https://tims.example.com"
    removed = [line for line in before.splitlines() if line not in after.splitlines()]
    assert len(removed) == 1 and "url:" in removed[0]  # only that line changed; comments kept
    assert [line for line in before.splitlines() if line.lstrip().startswith("#")] == [
        line for line in after.splitlines() if line.lstrip().startswith("#")
    ]


def test_a_change_that_breaks_the_project_is_refused_and_the_file_is_untouched(root: Path) -> None:
    before = (root / "ferry.yaml").read_text()
    edited = change_connection(root, "tims", {"url": None, "no_such_option": 3})
    assert not edited.ok and (root / "ferry.yaml").read_text() == before
    text = " ".join(str(p) for p in edited.problems)
    assert "no_such_option" in text and str(root) in text and "ferry-edit-" not in text


def test_the_type_and_unknown_connections_are_refused(root: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be changed"):
        change_connection(root, "tims", {"type": "dynamics365"})
    with pytest.raises(ConfigError, match="no connection 'sap'"):
        change_connection(root, "sap", {"url": "x"})
