from __future__ import annotations

import socket

from ferry.sandboxes.kit.server import bind
from tests.unit.run.test_serve import nodelay_of_accepted_connection


async def test_sandbox_sockets_answer_without_nagle_delays() -> None:
    # A response written in two parts (headers, then body) would otherwise wait ~40 ms for an ACK.
    sock = bind("127.0.0.1", 0)
    assert sock.proto == socket.IPPROTO_TCP
    assert await nodelay_of_accepted_connection(sock) != 0
