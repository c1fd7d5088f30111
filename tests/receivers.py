"""Real receivers for alert notifications, on loopback sockets: a webhook endpoint and an SMTP server.

The webhook endpoint checks a body as Slack or Teams would before taking it (Slack answers 400
`no_text` / `invalid_blocks`; a Teams webhook wants a `message` carrying an Adaptive Card).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session


def _slack_problem(body: Any) -> str | None:
    if not isinstance(body, dict) or not isinstance(body.get("text"), str) or not body["text"]:
        return "no_text"
    for block in body.get("blocks", []):
        if not isinstance(block, dict) or block.get("type") not in ("section", "context", "actions", "header"):
            return "invalid_blocks"
    return None


def _teams_problem(body: Any) -> str | None:
    if not isinstance(body, dict) or body.get("type") != "message":
        return "the body must be a message"
    attachments = body.get("attachments")
    if not attachments or attachments[0].get("contentType") != "application/vnd.microsoft.card.adaptive":
        return "the message must carry an Adaptive Card"
    if attachments[0].get("content", {}).get("type") != "AdaptiveCard":
        return "the card must be an AdaptiveCard"
    return None


@dataclass
class Webhook:
    url: str
    received: list[Any] = field(default_factory=list)
    #: Status codes to answer before taking bodies (e.g. [503] fails the first attempt).
    failures: list[int] = field(default_factory=list)


@contextlib.asynccontextmanager
async def webhook(format: str = "json") -> AsyncIterator[Webhook]:
    """A webhook endpoint at `Webhook.url` that keeps each body it accepts."""
    hook = Webhook("")

    async def take(request: web.Request) -> web.Response:
        if hook.failures:
            return web.Response(status=hook.failures.pop(0), text="try later")
        body = await request.json()
        problem = {"slack": _slack_problem, "teams": _teams_problem}.get(format, lambda _: None)(body)
        if problem:
            return web.Response(status=400, text=problem)
        hook.received.append(body)
        return web.Response(text="ok" if format == "slack" else "1")

    app = web.Application()
    app.router.add_post("/hook/{token}", take)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    hook.url = f"http://127.0.0.1:{port}/hook/T0SECRET-TOKEN"
    try:
        yield hook
    finally:
        await runner.cleanup()


@dataclass
class Mailbox:
    port: int
    messages: list[tuple[Envelope, Message]] = field(default_factory=list)

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        self.messages.append((envelope, message_from_bytes(envelope.original_content or b"")))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def smtp_server(
    *, login: tuple[str, str] | None = None, starttls: ssl.SSLContext | None = None, tls: ssl.SSLContext | None = None
) -> Iterator[Mailbox]:
    """An SMTP server (aiosmtpd) on loopback: with `login`, it takes only that user and password; with
    `starttls` it requires STARTTLS first; with `tls` it speaks TLS from the start."""
    box = Mailbox(_free_port())

    def check(server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and login is not None
            and (data.login.decode(), data.password.decode()) == login
        )
        return AuthResult(success=ok, handled=False)  # unhandled: the server answers 535 itself

    options: dict[str, Any] = {}
    if login is not None:
        options |= {"authenticator": check, "auth_required": True, "auth_require_tls": starttls is not None}
    if starttls is not None:
        options |= {"tls_context": starttls, "require_starttls": True}
    controller = Controller(box, hostname="127.0.0.1", port=box.port, ssl_context=tls, **options)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()
