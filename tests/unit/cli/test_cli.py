from __future__ import annotations

import socket
import subprocess
import sys

from typer.testing import CliRunner

from ferry import __version__
from ferry.cli.main import app


def ferry(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real entry point, as a user would, so exit codes and stderr are the real ones."""
    code = "from ferry.cli.main import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60)


def test_version_prints_the_package_version() -> None:
    result = CliRunner().invoke(app, ["version"])
    assert result.exit_code == 0
    assert result.output.strip() == __version__


def test_sandbox_list_names_every_sandbox_and_port() -> None:
    result = CliRunner().invoke(app, ["sandbox", "list"])
    assert result.exit_code == 0
    for expected in ("dynamics365", "7071", "tims", "7072", "storefront", "7073"):
        assert expected in result.output


def test_a_busy_port_is_a_clear_error_not_a_traceback() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = ferry("sandbox", "tims", "--port", str(port))
    assert result.returncode == 2
    assert f"Cannot listen on 127.0.0.1:{port} for the tims sandbox" in result.stderr
    assert "--port" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_unknown_command_is_a_usage_error() -> None:
    result = ferry("sandbox", "nosuch")
    assert result.returncode == 2
    assert "No such command" in result.stderr
