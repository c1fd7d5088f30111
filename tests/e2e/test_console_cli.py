"""People and tokens from the CLI (`ferry users`), and the control API called with a token (`ferry api`)."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

from ferry.access import AccessStore
from ferry.engine.store import SqliteStore
from tests.e2e.conftest import FERRY, Systems, ferry, live, make_project


def ferry_in(stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FERRY, *args], input=stdin, capture_output=True, text=True, timeout=120)


async def test_an_admin_added_from_the_cli_calls_the_api_with_a_token(tmp_path: Path, systems: Systems) -> None:
    root = tmp_path / "p"
    make_project(root, systems)
    added = ferry_in("a-long-password\n", "users", "add", str(root), "ada", "--role", "admin", "--password-stdin")
    short = ferry_in("short\n", "users", "add", str(root), "bob", "--password-stdin")
    bad_role = ferry_in("a-long-password\n", "users", "add", str(root), "cy", "--role", "root", "--password-stdin")
    token = ferry("users", "token", str(root), "ada", "--label", "script").stdout.strip()
    listed = ferry("users", "list", str(root)).stdout
    assert added.returncode == 0, added.stderr
    assert short.returncode != 0 and "too short" in short.stderr and "Traceback" not in short.stderr
    assert bad_role.returncode != 0 and "not a role" in bad_role.stderr
    assert token.startswith("ferry_") and "ada" in listed and "admin" in listed and "bob" not in listed

    async with live(root, systems) as h:
        assert h.runner is not None
        server = h.runner.listen.url
        syncs = await asyncio.to_thread(ferry, "api", "GET", "/api/syncs", "--server", server, "--token", token)
        users = await asyncio.to_thread(ferry, "api", "GET", "/api/users", "--server", server, "--token", token)
        wrong = await asyncio.to_thread(ferry, "api", "GET", "/api/syncs", "--server", server, "--token", "ferry_x")
        bad_json = await asyncio.to_thread(
            ferry, "api", "POST", "/api/users", "--server", server, "--token", token, "--data", "{name:"
        )
    down = ferry("api", "GET", "/api/syncs", "--server", server, "--token", token)

    assert syncs.returncode == 0 and [s["sync"] for s in json.loads(syncs.stdout)] == ["customers"]
    assert [u["name"] for u in json.loads(users.stdout)] == ["ada"]
    assert wrong.returncode == 1 and "not valid" in wrong.stdout
    assert bad_json.returncode != 0 and "not valid JSON" in bad_json.stderr
    assert down.returncode != 0 and "No ferry answers" in down.stderr and "Traceback" not in down.stderr
    # What the admin did from the CLI is in the actions log, for the console's admin page.
    store = SqliteStore(root / ".ferry" / "state.db")
    await store.open(owner=False)
    try:
        done = [(a.actor.startswith("cli:"), a.action) for a in reversed(await AccessStore(store).actions())]
    finally:
        await store.close()
    assert (True, "add user ada as admin") in done and (True, "issue API token 'script' for ada") in done
