"""`ferry demo` as a new user runs it: one command, records moving both ways."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest


def _free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.mark.skipif(not all(_free(p) for p in (7070, 7071, 7072, 7073)), reason="the demo's ports are in use")
def test_the_demo_shows_changes_arriving_on_both_sides() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "from ferry.cli.main import main; main()", "demo", "--rounds", "2", "--customers", "8"],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Initial load done" in out
    assert out.count("arrived in the TIMS customer") == 2
    assert out.count("arrived in the Dynamics 365 account") == 2
    assert "Traceback" not in out + result.stderr
