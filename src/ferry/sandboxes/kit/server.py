"""Serving sandboxes over real sockets: from the CLI, or from tests in a background thread."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass

import uvicorn

from ferry.sandboxes.kit.base import ConnectionDropped, Sandbox
from ferry.sandboxes.kit.tls import TLSFiles


class _HideDroppedConnections(logging.Filter):
    """Injected connection drops are intended; keep their tracebacks out of the server log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionDropped))


@dataclass(frozen=True, slots=True)
class Binding:
    sandbox: Sandbox
    host: str
    port: int


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; port 0 picks a free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # Name the protocol: asyncio turns Nagle's algorithm off only on connections of IPPROTO_TCP
    # sockets, and with it on, a response written in two parts waits ~40 ms for the peer's ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def public_host(host: str) -> str:
    """The host to put in URLs: a wildcard bind is reached through loopback."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def _server(sandbox: Sandbox, tls: TLSFiles | None, log_level: str) -> uvicorn.Server:
    config = uvicorn.Config(
        sandbox,
        log_level=log_level,
        access_log=False,
        lifespan="on",
        ssl_certfile=str(tls.cert) if tls else None,
        ssl_keyfile=str(tls.key) if tls else None,
        timeout_graceful_shutdown=2,
    )
    return uvicorn.Server(config)


async def serve(
    sandboxes: Sequence[Sandbox],
    sockets: Sequence[socket.socket],
    *,
    tls: TLSFiles | None = None,
    log_level: str = "warning",
) -> None:
    """Serve each sandbox on its socket until cancelled (or Ctrl-C)."""
    logging.getLogger("uvicorn.error").addFilter(_HideDroppedConnections())
    servers = [_server(sb, tls, log_level) for sb in sandboxes]
    await asyncio.gather(*(srv.serve(sockets=[sock]) for srv, sock in zip(servers, sockets, strict=True)))


@asynccontextmanager
async def serving(
    sandboxes: Sequence[Sandbox], sockets: Sequence[socket.socket], *, log_level: str = "warning"
) -> AsyncIterator[None]:
    """Serve the sandboxes in this event loop while the block runs (for tools that run beside them)."""
    logging.getLogger("uvicorn.error").addFilter(_HideDroppedConnections())
    servers = [_server(sb, None, log_level) for sb in sandboxes]
    for server in servers:
        server.config.install_signal_handlers = False  # type: ignore[attr-defined]
    tasks = [asyncio.create_task(srv.serve(sockets=[sock])) for srv, sock in zip(servers, sockets, strict=True)]
    try:
        while not all(s.started for s in servers):
            for task in tasks:
                if task.done():
                    task.result()
            await asyncio.sleep(0.01)
        yield
    finally:
        for server in servers:
            server.should_exit = True
        await asyncio.gather(*tasks, return_exceptions=True)


@contextmanager
def running(sandbox: Sandbox, *, host: str = "127.0.0.1", tls: TLSFiles | None = None) -> Iterator[str]:
    """Serve `sandbox` on a free port in a background thread; yields its base URL.

    For tests and tools that need a real socket (clients built on `requests`, such as msal).
    """
    sock = bind(host, 0)
    port = sock.getsockname()[1]
    scheme = "https" if tls else "http"
    sandbox.base_url = f"{scheme}://{public_host(host)}:{port}"
    server = _server(sandbox, tls, "warning")
    server.config.install_signal_handlers = False  # type: ignore[attr-defined]
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError(f"the {sandbox.name} sandbox failed to start")
            threading.Event().wait(0.01)
        yield sandbox.base_url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
