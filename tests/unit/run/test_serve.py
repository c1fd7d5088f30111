from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

from ferry.engine.store import SqliteStore
from ferry.project import Project
from ferry.project.models import Maps, ProjectSpec, Reconcile, Side, Sync
from ferry.run.assemble import Assembly
from ferry.run.serve import Listen, Runner


async def nodelay_of_accepted_connection(listener: socket.socket) -> int:
    """Serve `listener` with asyncio and report TCP_NODELAY on the connection it accepts."""
    seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: Any) -> None:
            sock = transport.get_extra_info("socket")
            seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    listener.setblocking(False)
    server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
    try:
        host, port = listener.getsockname()[:2]
        _, writer = await asyncio.open_connection(host, port)
        async with asyncio.timeout(5):
            result = await seen
        writer.close()
        return result
    finally:
        server.close()


async def test_the_server_takes_a_free_port_and_answers_without_nagle_delays(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "state.db")
    await store.open()
    try:
        project = Project(tmp_path, ProjectSpec(version=1, name="p", connections={}))
        runner = Runner(Assembly(project, store, [], {}, {}), Listen("127.0.0.1", 0))
        sock = runner.bind()
        assert runner.listen.port == sock.getsockname()[1] != 0
        assert runner.listen.url == f"http://127.0.0.1:{runner.listen.port}"  # where webhooks are sent
        # Without TCP_NODELAY a response written in two parts waits ~40 ms for the peer's delayed ACK.
        assert await nodelay_of_accepted_connection(sock) != 0
    finally:
        await store.close()


async def test_syncs_that_ask_for_it_are_reconciled_on_a_schedule(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "state.db")
    await store.open()
    sides = {"left": Side(connection="crm", entity="accounts"), "right": Side(connection="erp", entity="customers")}
    syncs = [
        Sync(name="customers", map=Maps(left_to_right="m.yaml"), reconcile=Reconcile(every="24h", heal=True), **sides),
        Sync(name="orders", map=Maps(left_to_right="m.yaml"), **sides),
    ]
    try:
        project = Project(tmp_path, ProjectSpec(version=1, name="p", connections={}, syncs=syncs))
        runner = Runner(Assembly(project, store, [], {}, {}), Listen("127.0.0.1", 0))
        [loop] = runner._schedules()
        assert loop.cr_frame.f_locals["sync"] == "customers"  # type: ignore[attr-defined]
        assert loop.cr_frame.f_locals["interval"] == 86400.0  # type: ignore[attr-defined]
        loop.close()
        assert "/api/reconciliations" in runner.app.openapi()["paths"]  # the control API serves them
    finally:
        await store.close()
