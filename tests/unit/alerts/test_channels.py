"""Notifications delivered for real: to a local webhook endpoint (Slack, Teams, JSON) and a local SMTP
server (STARTTLS and TLS, with a login); failures retried, reported without secrets, never raised."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime
from pathlib import Path

import pytest
import trustme
from pydantic import SecretStr

from ferry.alerts.channels import EmailSender, WebhookSender, deliver
from ferry.alerts.messages import Notice
from ferry.project.alerts import EmailChannel
from tests.receivers import smtp_server, webhook

NOTICE = Notice(
    "firing",
    "demo",
    "dead-letters",
    "dlq_size",
    "customers",
    "warning",
    "customers: 3 records in the dead-letter queue; replay them once fixed",
    url="http://127.0.0.1:7070/dead-letters?sync=customers",
    alert_id=7,
    first_seen=datetime(2026, 12, 4, 9, 30, tzinfo=UTC),
)


async def test_slack_gets_text_and_blocks_with_a_button_to_the_cause() -> None:
    async with webhook("slack") as hook:
        outcome = await deliver(WebhookSender("ops", SecretStr(hook.url), "slack", 5), NOTICE)
    assert outcome.delivered and outcome.attempts == 1
    [body] = hook.received
    assert body["text"].startswith(":large_orange_circle: [FIRING] warning: dead-letters on customers (demo)")
    assert "<http://127.0.0.1:7070/dead-letters?sync=customers|Open in ferry>" in body["text"]
    [button] = body["blocks"][-1]["elements"]
    assert button["url"] == NOTICE.url
    assert "3 records in the dead-letter queue" in body["blocks"][1]["text"]["text"]


async def test_slack_text_is_escaped() -> None:
    sneaky = Notice("firing", "demo", "r", "lag", "<!channel> & co", "info", "a < b")
    async with webhook("slack") as hook:
        assert (await deliver(WebhookSender("ops", SecretStr(hook.url), "slack", 5), sneaky)).delivered
    assert "<!channel>" not in hook.received[0]["text"] and "&lt;!channel&gt; &amp; co" in hook.received[0]["text"]


async def test_teams_gets_an_adaptive_card_with_a_link_to_the_cause() -> None:
    async with webhook("teams") as hook:
        outcome = await deliver(WebhookSender("ops", SecretStr(hook.url), "teams", 5), NOTICE)
    assert outcome.delivered
    [body] = hook.received
    card = body["attachments"][0]["content"]
    assert card["body"][0]["text"] == "[FIRING] warning: dead-letters on customers (demo)"
    assert card["body"][1]["text"] == NOTICE.message
    assert {"title": "Since", "value": "2026-12-04T09:30:00+00:00"} in card["body"][2]["facts"]
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open in ferry", "url": NOTICE.url}]


async def test_json_carries_the_alert_and_its_url() -> None:
    async with webhook("json") as hook:
        assert (await deliver(WebhookSender("ops", SecretStr(hook.url), "json", 5), NOTICE)).delivered
    [body] = hook.received
    assert (body["event"], body["url"], body["alert"]["id"], body["alert"]["subject"]) == (
        "firing",
        NOTICE.url,
        7,
        "customers",
    )


async def test_a_failing_webhook_is_retried_then_reported_without_its_url(caplog: pytest.LogCaptureFixture) -> None:
    async with webhook("slack") as hook:
        hook.failures = [503]
        sender = WebhookSender("ops", SecretStr(hook.url), "slack", 5)
        assert (await deliver(sender, NOTICE, backoff=0.01)).attempts == 2
        hook.failures = [500, 500, 500]
        outcome = await deliver(sender, NOTICE, backoff=0.01)
    assert (outcome.delivered, outcome.attempts) == (False, 3)
    assert outcome.error == "the webhook answered HTTP 500: try later"
    assert len(hook.received) == 1
    assert "T0SECRET-TOKEN" not in caplog.text and "attempt 3 of 3 failed" in caplog.text


async def test_a_webhook_nobody_listens_on_is_a_failed_delivery() -> None:
    async with webhook() as hook:
        url = hook.url  # closed when the block ends
    outcome = await deliver(WebhookSender("ops", SecretStr(url), "json", 2), NOTICE, attempts=2, backoff=0.01)
    assert not outcome.delivered and outcome.error == "the webhook could not be reached (ConnectError)"


@pytest.fixture
def tls(tmp_path: Path) -> tuple[ssl.SSLContext, Path]:
    """A server context for 127.0.0.1 and the file of the CA that signed it."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    ca_file = tmp_path / "relay-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return context, ca_file


def _mail(port: int, security: str, ca_file: Path | None, password: str | None = "s3cret-pw") -> EmailSender:
    spec = EmailChannel.model_validate(
        {
            "type": "email",
            "host": "127.0.0.1",
            "port": port,
            "security": security,
            "user": "ferry" if password else None,
            "password": "${secret:smtp-password}" if password else None,
            "from": "ferry@example.com",
            "to": ["ops@example.com", "oncall@example.com"],
            "timeout": 5,
        }
    )
    return EmailSender("mail", spec, SecretStr(password) if password else None, ca_file)


async def test_email_through_starttls_with_a_login(tls: tuple[ssl.SSLContext, Path]) -> None:
    context, ca_file = tls
    with smtp_server(login=("ferry", "s3cret-pw"), starttls=context) as box:
        outcome = await deliver(_mail(box.port, "starttls", ca_file), NOTICE)
    assert outcome.delivered, outcome.error
    [(envelope, mail)] = box.messages
    assert envelope.mail_from == "ferry@example.com"
    assert envelope.rcpt_tos == ["ops@example.com", "oncall@example.com"]
    assert mail["Subject"] == "[FIRING] warning: dead-letters on customers (demo)"
    text = mail.get_payload(decode=True).decode()
    assert NOTICE.message in text and f"Open in ferry: {NOTICE.url}" in text


async def test_email_through_tls_from_the_start(tls: tuple[ssl.SSLContext, Path]) -> None:
    context, ca_file = tls
    with smtp_server(tls=context) as box:
        outcome = await deliver(_mail(box.port, "tls", ca_file, password=None), NOTICE)
    assert outcome.delivered, outcome.error
    assert len(box.messages) == 1


async def test_a_refused_login_is_reported_without_the_password(tls: tuple[ssl.SSLContext, Path]) -> None:
    context, ca_file = tls
    with smtp_server(login=("ferry", "another-pw"), starttls=context) as box:
        outcome = await deliver(_mail(box.port, "starttls", ca_file), NOTICE, attempts=2, backoff=0.01)
    assert (outcome.delivered, outcome.attempts) == (False, 2)
    assert outcome.error == "the mail server refused the login of ferry (535)"
    assert box.messages == []


async def test_a_relay_whose_certificate_is_not_trusted_is_refused(tls: tuple[ssl.SSLContext, Path]) -> None:
    context, _ = tls
    with smtp_server(starttls=context) as box:
        outcome = await deliver(_mail(box.port, "starttls", None, password=None), NOTICE, attempts=1)
    assert not outcome.delivered and outcome.error is not None and "SSLCertVerificationError" in outcome.error
