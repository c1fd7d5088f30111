"""`ferry run --log-format json` as a user runs it: one JSON object a line, with the record's fields."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
from pathlib import Path

import httpx

from tests.e2e.conftest import FERRY, Systems, make_project


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_ferry_run_logs_json_lines_without_secrets(tmp_path: Path, systems: Systems) -> None:
    root = tmp_path / "p"
    make_project(root, systems)
    async with httpx.AsyncClient() as client:
        secret = (await client.get(f"{systems.d365_url}/_sandbox/credentials")).json()["client_secret"]
    log = tmp_path / "ferry.log"
    command = [*FERRY, "run", str(root), "--listen", f"127.0.0.1:{free_port()}", "--log-format", "json"]
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(*command, stdout=out, stderr=subprocess.STDOUT)
    try:
        for _ in range(600):  # the first run reads both sides and creates the customers TIMS lacks
            if '"outcome":"created"' in log.read_text():
                break
            await asyncio.sleep(0.1)
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(60):
            await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    text = log.read_text()
    entries = [json.loads(line) for line in text.splitlines() if line.strip()]  # every line is one object
    assert process.returncode == 0
    created = [e for e in entries if e.get("outcome") == "created"]
    assert created, text[-2000:]
    first = created[0]
    assert first["sync"] == "customers" and first["side"] in ("left", "right") and first["record_id"]
    assert first["logger"] == "ferry.engine" and first["level"] == "info" and first["time"].endswith("+00:00")
    assert any(e["message"].startswith("ferry is running") for e in entries)
    assert secret not in text and "tims-sandbox-key" not in text
