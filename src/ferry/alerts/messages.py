"""What a notification says, in each channel's own format.

Slack incoming webhooks take `{"text": ..., "blocks": [...]}` (the text is the fallback notifications
show); Microsoft Teams webhooks (Workflows' "when a Teams webhook request is received", and the older
incoming webhooks) take a `message` whose attachment is an Adaptive Card; `json` is ferry's own shape,
for any other receiver.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any, Literal

NoticeEvent = Literal["firing", "repeat", "resolved", "test"]
_HEADLINE = {"firing": "FIRING", "repeat": "STILL FIRING", "resolved": "RESOLVED", "test": "TEST"}
_SLACK_ICON = {"critical": ":red_circle:", "warning": ":large_orange_circle:", "info": ":large_blue_circle:"}
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
_TEAMS_COLOR = {"critical": "Attention", "warning": "Warning", "info": "Accent"}


@dataclass(frozen=True, slots=True)
class Notice:
    """One thing to tell: an alert that fired, is still firing, or resolved (or a channel test)."""

    event: NoticeEvent
    project: str
    rule: str
    kind: str
    subject: str
    severity: str
    message: str
    #: The console page that shows the cause, as an absolute URL (None when ferry's address is unknown).
    url: str | None = None
    alert_id: int | None = None
    first_seen: datetime | None = None
    resolved_at: datetime | None = None

    @property
    def title(self) -> str:
        return f"[{_HEADLINE[self.event]}] {self.severity}: {self.rule} on {self.subject} ({self.project})"


def channel_test_notice(project: str, channel: str) -> Notice:
    return Notice(
        "test",
        project,
        "channel-test",
        "test",
        channel,
        "info",
        f"A test message from ferry to the channel '{channel}': alerts of the project {project} will arrive here.",
    )


def _slack_escape(text: str) -> str:
    # Slack reads &, < and > as markup (`<!channel>` would ping everyone).
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack(n: Notice) -> dict[str, Any]:
    icon = ":white_check_mark:" if n.event == "resolved" else _SLACK_ICON.get(n.severity, ":bell:")
    link = f" <{n.url}|Open in ferry>" if n.url else ""
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"{icon} *{_slack_escape(n.title)}*"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _slack_escape(n.message)}},
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": f"rule `{_slack_escape(n.rule)}` ({n.kind}) · project {n.project}"}
            ],
        },
    ]
    if n.url:
        blocks.append(
            {
                "type": "actions",
                "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Open in ferry"}, "url": n.url}],
            }
        )
    return {"text": f"{icon} {_slack_escape(n.title)}: {_slack_escape(n.message)}{link}", "blocks": blocks}


def teams(n: Notice) -> dict[str, Any]:
    facts = [
        {"title": "Project", "value": n.project},
        {"title": "Rule", "value": f"{n.rule} ({n.kind})"},
        {"title": "Subject", "value": n.subject},
    ]
    if n.first_seen is not None:
        facts.append({"title": "Since", "value": n.first_seen.isoformat(timespec="seconds")})
    if n.resolved_at is not None:
        facts.append({"title": "Resolved", "value": n.resolved_at.isoformat(timespec="seconds")})
    color = "Good" if n.event == "resolved" else _TEAMS_COLOR.get(n.severity, "Default")
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {"type": "TextBlock", "text": n.title, "weight": "Bolder", "size": "Medium", "wrap": True, "color": color},
            {"type": "TextBlock", "text": n.message, "wrap": True},
            {"type": "FactSet", "facts": facts},
        ],
    }
    if n.url:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open in ferry", "url": n.url}]
    return {
        "type": "message",
        "summary": n.title,
        "attachments": [{"contentType": ADAPTIVE_CARD, "contentUrl": None, "content": card}],
    }


def plain(n: Notice) -> dict[str, Any]:
    return {
        "event": n.event,
        "project": n.project,
        "title": n.title,
        "alert": {
            "id": n.alert_id,
            "rule": n.rule,
            "kind": n.kind,
            "subject": n.subject,
            "severity": n.severity,
            "message": n.message,
            "first_seen": n.first_seen.isoformat() if n.first_seen else None,
            "resolved_at": n.resolved_at.isoformat() if n.resolved_at else None,
        },
        "url": n.url,
    }


PAYLOADS = {"slack": slack, "teams": teams, "json": plain}


def email(n: Notice, *, sender: str, to: list[str]) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = n.title
    mail["From"] = sender
    mail["To"] = ", ".join(to)
    lines = [n.message, ""]
    if n.url:
        lines += [f"Open in ferry: {n.url}", ""]
    lines += [f"Project: {n.project}", f"Rule: {n.rule} ({n.kind})", f"Subject: {n.subject}"]
    if n.first_seen is not None:
        lines.append(f"Since: {n.first_seen.isoformat(timespec='seconds')}")
    if n.resolved_at is not None:
        lines.append(f"Resolved: {n.resolved_at.isoformat(timespec='seconds')}")
    mail.set_content("\n".join(lines) + "\n")
    return mail
