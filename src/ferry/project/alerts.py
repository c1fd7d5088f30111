"""The `alerts:` part of `ferry.yaml`: rules that watch the running project, and channels that carry alerts.

    alerts:
      every: 30s                      # how often the rules are evaluated
      channels:
        ops: {type: webhook, format: slack, url: "${secret:slack-webhook}"}
      rules:
        - {name: dead-letters, kind: dlq_size, threshold: 0, severity: warning, channels: [ops]}

A project without `alerts:` gets `default_alerts()`: a console channel, a rule for dead letters and one for
connections that cannot authenticate.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from ferry.project.refs import REFERENCE_PATTERN
from ferry.workflow.spec import seconds

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
Name = Annotated[str, Field(pattern=NAME_PATTERN, max_length=64)]


def _whole_seconds(value: Any) -> Any:
    """`90`, `"90s"`, `"15m"`, `"1h"` or `"7d"` as whole seconds (the workflows' way of writing durations)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return value
    return round(seconds(value))


Duration = Annotated[
    int,
    BeforeValidator(_whole_seconds),
    Field(ge=1),
    WithJsonSchema(
        {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "string", "pattern": r"^\d+\s*[smhd]?$"}]},
        mode="validation",
    ),
]
SecretRef = Annotated[
    str,
    Field(pattern=REFERENCE_PATTERN, json_schema_extra={"writeOnly": True}),
]
Severity = Literal["info", "warning", "critical"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Rule(_Strict):
    name: Name = Field(description="Unique name of the rule, shown with each alert it raises.")
    severity: Severity = Field("warning", description="`info`, `warning` or `critical`.")
    channels: list[Name] | None = Field(
        None, description="Channels its alerts go to, by name; every channel of the project when left out."
    )
    repeat: Duration | None = Field(
        None,
        description="Notify again this often while the alert stays firing (e.g. `1h`); once only when left out.",
    )


class _FlowScope(_Strict):
    sync: str | None = Field(None, description="Only this sync (each sync, separately, when left out).")
    workflow: str | None = Field(None, description="Only this workflow (each workflow when left out).")


class ErrorRateRule(_Rule, _FlowScope):
    """Records (or workflow runs) that failed, as a share of those processed over a window, above a threshold."""

    kind: Literal["error_rate"] = Field(description="`error_rate`.")
    threshold: float = Field(0.05, gt=0, le=1, description="The share that fires it: `0.05` is 5%.")
    window: Duration = Field(900, description="The time looked back over (e.g. `15m`).")
    min_processed: int = Field(
        10, ge=1, description="Fire only when at least this many were processed in the window (no 1-of-1 alarms)."
    )


class LagRule(_Rule):
    """The oldest change waiting to be synced is older than `threshold`."""

    kind: Literal["lag"] = Field(description="`lag`.")
    sync: str | None = Field(None, description="Only this sync (each sync, separately, when left out).")
    threshold: Duration = Field(300, description="How long the oldest pending change may wait (e.g. `5m`).")


class DeadLetterRule(_Rule):
    """More than `threshold` open dead letters (records ferry could not sync)."""

    kind: Literal["dlq_size"] = Field(description="`dlq_size`.")
    sync: str | None = Field(None, description="Only this sync (each sync, separately, when left out).")
    threshold: int = Field(0, ge=0, description="Fires when open dead letters are more than this.")


class AuthFailureRule(_Rule):
    """A connection is paused because its system refuses ferry's credentials."""

    kind: Literal["auth_failure"] = Field(description="`auth_failure`.")
    connection: str | None = Field(None, description="Only this connection (each connection when left out).")
    severity: Severity = Field("critical", description="`info`, `warning` or `critical`.")


class HeldRunsRule(_Rule):
    """More than `threshold` workflow runs are held for a person to decide."""

    kind: Literal["held_runs"] = Field(description="`held_runs`.")
    workflow: str | None = Field(None, description="Only this workflow (each workflow when left out).")
    threshold: int = Field(0, ge=0, description="Fires when held runs are more than this.")


class AnomalyRule(_Rule, _FlowScope):
    """A flow's failures or throughput in the last window are `factor` times off its usual level: the median
    of the same window of the day over the past `days` days (docs/alerts.md explains the method)."""

    kind: Literal["anomaly"] = Field(description="`anomaly`.")
    measure: Literal["failures", "throughput"] = Field(
        "failures",
        description="`failures` (records dead-lettered, runs failed: fires when far above usual) or "
        "`throughput` (records or runs processed: fires when far above or below usual).",
    )
    window: Duration = Field(3600, description="The window compared (e.g. `1h`).")
    days: int = Field(7, ge=2, le=90, description="How many past days make the usual level.")
    factor: float = Field(3.0, gt=1, description="How many times off the usual level fires it.")
    min_count: int = Field(
        10, ge=1, description="Ignore levels below this many (a flow that moves 2 records an hour is not anomalous)."
    )
    min_days: int = Field(3, ge=1, description="Past days with history needed before the rule judges at all.")


Rule = Annotated[
    ErrorRateRule | LagRule | DeadLetterRule | AuthFailureRule | HeldRunsRule | AnomalyRule,
    Field(discriminator="kind"),
]


class WebhookChannel(_Strict):
    """POST each alert as JSON: a Slack incoming webhook, a Microsoft Teams webhook (Workflows or incoming
    webhook), or any receiver of ferry's own JSON."""

    type: Literal["webhook"] = Field(description="`webhook`.")
    url: SecretRef = Field(
        description="The webhook URL, from the vault (`${secret:NAME}`) or the environment: it grants posting."
    )
    format: Literal["slack", "teams", "json"] = Field(
        "json", description="`slack` (text and blocks), `teams` (an Adaptive Card) or `json` (ferry's own)."
    )
    timeout: float = Field(10.0, gt=0, le=120, description="Seconds to wait for the receiver.")


class EmailChannel(_Strict):
    """Send each alert by email through an SMTP server."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    type: Literal["email"] = Field(description="`email`.")
    host: str = Field(min_length=1, description="The SMTP server.")
    port: int = Field(587, ge=1, le=65535, description="Its port: usually 587 (STARTTLS) or 465 (TLS).")
    security: Literal["starttls", "tls", "none"] = Field(
        "starttls", description="`starttls` (upgrade after connecting), `tls` (TLS from the start) or `none`."
    )
    user: str | None = Field(None, description="User name to log in with; no login when left out.")
    password: SecretRef | None = Field(None, description="The user's password, from the vault (`${secret:NAME}`).")
    sender: str = Field(alias="from", min_length=3, description="The sender address (`From`).")
    to: list[str] = Field(min_length=1, description="Recipient addresses.")
    ca_file: str | None = Field(
        None, description="A CA certificate file (PEM, relative to the project) to trust for a relay's own CA."
    )
    timeout: float = Field(20.0, gt=0, le=120, description="Seconds to wait for the server.")


class ConsoleChannel(_Strict):
    """Alerts shown in ferry's console (`/alerts`) and written to its log; every alert is kept there anyway."""

    type: Literal["console"] = Field(description="`console`.")


Channel = Annotated[WebhookChannel | EmailChannel | ConsoleChannel, Field(discriminator="type")]


class Alerts(_Strict):
    """What ferry watches while it runs, and whom it tells (docs/alerts.md)."""

    every: Duration = Field(30, description="How often the rules are evaluated (e.g. `30s`).")
    channels: dict[Name, Channel] = Field(
        default_factory=lambda: dict[str, Channel](console=ConsoleChannel(type="console")),
        description="Where alerts go, by a name of your choosing that rules refer to.",
    )
    rules: list[Rule] = Field(default_factory=list, description="The conditions that raise alerts.")


def default_alerts() -> Alerts:
    """What a project that declares no alerts gets: dead letters and authentication failures, in the console."""
    return Alerts(
        channels={"console": ConsoleChannel(type="console")},
        rules=[
            DeadLetterRule(name="dead-letters", kind="dlq_size"),
            AuthFailureRule(name="authentication", kind="auth_failure"),
        ],
    )
