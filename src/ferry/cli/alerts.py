"""`ferry alerts DIR`: the project's alerts; `ferry alerts test DIR CHANNEL`: a test message through a channel."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from typer.core import TyperGroup

from ferry.alerts import channels, deliver
from ferry.alerts.messages import channel_test_notice
from ferry.api.alerts import AlertOut, alert_out
from ferry.cli.run import Json, ProjectDir, _run, _viewer, console
from ferry.core.errors import ConfigError, FerryError
from ferry.project import Project

_STATES = ("firing", "resolved", "all")


class _ListByDefault(TyperGroup):
    """`ferry alerts DIR` lists: a first word that is no sub-command is the project directory."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h")):
            args = ["list", *args]
        return super().parse_args(ctx, args)


alerts_app = typer.Typer(
    cls=_ListByDefault,
    help="Alerts: `ferry alerts DIR` lists them; `ferry alerts test DIR CHANNEL` tries a channel.",
)


class ChannelFailed(FerryError):
    """The test message did not arrive."""


@alerts_app.command("list")
def alerts_list(
    project_dir: ProjectDir = Path("."),
    state: Annotated[str, typer.Option(help="firing (the default), resolved or all.")] = "firing",
    as_json: Json = False,
) -> None:
    """The alerts firing now (or resolved, or all), newest first, with their deliveries."""
    if state not in _STATES:
        raise ConfigError(f"--state {state!r} is not an alert state; use one of: {', '.join(_STATES)}.")

    async def main() -> list[AlertOut]:
        _, store = await _viewer(project_dir)
        try:
            found = await store.alerts.list(state=None if state == "all" else state)  # type: ignore[arg-type]
            return [alert_out(a) for a in found]
        finally:
            await store.close()

    found = _run(main())
    if as_json:
        typer.echo(json.dumps([a.model_dump(mode="json") for a in found], indent=2))
        return
    if not found:
        console.print("No alerts firing." if state == "firing" else "No alerts.")
        return
    table = Table("id", "state", "severity", "rule", "subject", "since", "message", "delivered", "acknowledged")
    for a in found:
        table.add_row(
            str(a.id),
            a.state,
            a.severity,
            a.rule,
            a.subject,
            a.first_seen.isoformat(timespec="seconds"),
            a.message,
            _deliveries(a),
            a.acknowledged_by or "",
        )
    console.print(table)


def _deliveries(alert: AlertOut) -> str:
    return ", ".join(f"{d.channel} {d.event}: {d.outcome}" for d in alert.deliveries)


@alerts_app.command("test")
def alerts_test(
    project_dir: ProjectDir,
    channel: Annotated[str, typer.Argument(help="The channel's name under alerts.channels.")],
) -> None:
    """Send a test message through one alert channel now, and say whether it arrived."""
    project = Project.load(project_dir)
    senders = channels(project)
    if channel not in senders:
        names = ", ".join(sorted(senders)) or "none"
        raise ConfigError(f"The project has no alert channel '{channel}'. Channels: {names}.")
    outcome = _run(deliver(senders[channel], channel_test_notice(project.spec.name, channel), attempts=1))
    if not outcome.delivered:
        raise ChannelFailed(f"The test message to '{channel}' did not arrive: {outcome.error}")
    console.print(f"Test message delivered to '{channel}'.")
