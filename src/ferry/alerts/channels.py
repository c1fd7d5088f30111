"""Channels that carry notifications: a webhook (Slack, Teams, JSON), email over SMTP, and the console.

`deliver` sends one notice through one channel, trying a few times with backoff. It never raises: the
outcome (delivered or failed, attempts, the last error) is returned, and errors are described without
the channel's secrets (a webhook URL grants posting, so it is never logged or stored).
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx
from pydantic import SecretStr

from ferry import __version__
from ferry.alerts.messages import PAYLOADS, Notice, email
from ferry.core.errors import ConfigError
from ferry.project import Project
from ferry.project.alerts import Channel, ConsoleChannel, EmailChannel, WebhookChannel

log = logging.getLogger("ferry.alerts")


class DeliveryFailed(Exception):
    """One attempt failed; the message is safe to log and show (no secrets)."""


class Sender(Protocol):
    name: str

    async def send(self, notice: Notice) -> None:
        """Send once; DeliveryFailed (or any exception) when the channel did not take it."""

    def secrets(self) -> Sequence[str]:
        """Values that must never appear in what is logged or stored about this channel."""


@dataclass
class WebhookSender:
    name: str
    url: SecretStr
    format: str
    timeout: float

    async def send(self, notice: Notice) -> None:
        body = PAYLOADS[self.format](notice)
        headers = {"User-Agent": f"ferry/{__version__}"}
        try:
            async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as client:
                response = await client.post(self.url.get_secret_value(), json=body, headers=headers)
        except httpx.TimeoutException:
            raise DeliveryFailed(f"the webhook did not answer within {self.timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"the webhook could not be reached ({type(exc).__name__})") from None
        if not 200 <= response.status_code < 300:
            # Slack and Teams say what was wrong in a short body (`invalid_payload`, `no_text`).
            said = response.text.strip()[:200]
            raise DeliveryFailed(f"the webhook answered HTTP {response.status_code}" + (f": {said}" if said else ""))

    def secrets(self) -> Sequence[str]:
        return [self.url.get_secret_value()]


@dataclass
class EmailSender:
    name: str
    spec: EmailChannel
    password: SecretStr | None
    ca_file: Path | None

    async def send(self, notice: Notice) -> None:
        await asyncio.to_thread(self._send, notice)

    def _send(self, notice: Notice) -> None:
        spec = self.spec
        context = ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
        mail = email(notice, sender=spec.sender, to=spec.to)
        try:
            smtp: smtplib.SMTP
            if spec.security == "tls":
                smtp = smtplib.SMTP_SSL(spec.host, spec.port, timeout=spec.timeout, context=context)
            else:
                smtp = smtplib.SMTP(spec.host, spec.port, timeout=spec.timeout)
            with smtp:
                if spec.security == "starttls":
                    smtp.starttls(context=context)
                if spec.user:
                    self._login(smtp)
                smtp.send_message(mail)
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryFailed(f"the mail server refused the login of {spec.user} ({exc.smtp_code})") from None
        except smtplib.SMTPResponseException as exc:
            said = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
            raise DeliveryFailed(f"the mail server answered {exc.smtp_code}: {said}"[:300]) from None
        except smtplib.SMTPRecipientsRefused:
            raise DeliveryFailed(f"the mail server refused every recipient ({', '.join(spec.to)})") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryFailed(
                f"could not send through {spec.host}:{spec.port} ({type(exc).__name__}: {exc})"[:300]
            ) from None

    def _login(self, smtp: smtplib.SMTP) -> None:
        """Log in with PLAIN where offered, else smtplib's choice; a refused login is not tried again with
        every other mechanism (a relay that counts failures would lock the account sooner)."""
        user, password = self.spec.user or "", self.password.get_secret_value() if self.password else ""
        smtp.ehlo_or_helo_if_needed()
        if "PLAIN" in smtp.esmtp_features.get("auth", "").upper().split():
            smtp.user, smtp.password = user, password
            smtp.auth("PLAIN", smtp.auth_plain)
        else:
            smtp.login(user, password)

    def secrets(self) -> Sequence[str]:
        return [self.password.get_secret_value()] if self.password else []


@dataclass
class ConsoleSender:
    """Every alert is kept in the store, which the console shows; this also writes it to ferry's log."""

    name: str

    async def send(self, notice: Notice) -> None:
        level = logging.INFO if notice.event in ("resolved", "test") else logging.WARNING
        log.log(level, "alert %s: %s", notice.title, notice.message)

    def secrets(self) -> Sequence[str]:
        return []


def sender(project: Project, name: str, spec: Channel) -> Sender:
    """The channel `name` of the project, its secrets looked up now (ConfigError when one is missing)."""
    where = f"alerts.channels.{name}"
    if isinstance(spec, WebhookChannel):
        return WebhookSender(name, project.resolve(spec.url, f"{where}.url"), spec.format, spec.timeout)
    if isinstance(spec, EmailChannel):
        password = project.resolve(spec.password, f"{where}.password") if spec.password else None
        ca_file = project.root / spec.ca_file if spec.ca_file else None
        if ca_file is not None and not ca_file.is_file():
            raise ConfigError(f"{where}.ca_file: there is no file {ca_file}.")
        return EmailSender(name, spec, password, ca_file)
    assert isinstance(spec, ConsoleChannel)
    return ConsoleSender(name)


@dataclass(frozen=True, slots=True)
class Outcome:
    channel: str
    delivered: bool
    attempts: int
    error: str | None = None


def scrub(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


async def deliver(channel: Sender, notice: Notice, *, attempts: int = 3, backoff: float = 1.0) -> Outcome:
    """Send with up to `attempts` tries, waiting `backoff`, then twice that, between them; never raises."""
    error = "not tried"
    for attempt in range(1, attempts + 1):
        try:
            await channel.send(notice)
            return Outcome(channel.name, True, attempt)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any failure of one channel is reported, never let through
            error = scrub(str(exc) if isinstance(exc, DeliveryFailed) else type(exc).__name__, channel.secrets())
            log.warning("alert channel %s: attempt %d of %d failed: %s", channel.name, attempt, attempts, error)
        if attempt < attempts:
            await asyncio.sleep(backoff * 2 ** (attempt - 1))
    return Outcome(channel.name, False, attempts, error)
