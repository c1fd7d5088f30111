"""What `ferry validate` checks of `alerts:` beyond its shape: names that must exist, and the secrets it needs."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError as PydanticValidationError

from ferry.core.problems import Problem
from ferry.project.alerts import Alerts
from ferry.project.refs import BadReference, Reference, parse_reference
from ferry.project.source import Loc, SourceFile

_SCOPES = (("sync", "syncs"), ("workflow", "workflows"), ("connection", "connections"))


def _names(data: dict[str, Any], key: str) -> set[str]:
    part = data.get(key)
    if isinstance(part, dict):
        return {str(k) for k in part}
    if isinstance(part, list):
        return {e["name"] for e in part if isinstance(e, dict) and isinstance(e.get("name"), str)}
    return set()


def check_alerts(src: SourceFile, data: dict[str, Any]) -> list[Problem]:
    """Rules name syncs, workflows, connections and channels the project has, each rule name once."""
    raw = data.get("alerts")
    if not isinstance(raw, dict):
        return []
    try:
        alerts = Alerts.model_validate(raw)
    except PydanticValidationError:
        return []  # reported by the project model, with lines
    known = {key: _names(data, plural) for key, plural in _SCOPES}
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, rule in enumerate(alerts.rules):
        loc: Loc = ("alerts", "rules", index)
        if rule.name in seen:
            problems.append(src.problem((*loc, "name"), f"two alert rules are named '{rule.name}'"))
        seen.add(rule.name)
        scoped = [key for key, _ in _SCOPES if getattr(rule, key, None) is not None]
        if len(scoped) > 1:
            problems.append(src.problem(loc, f"alert rule '{rule.name}' names a {' and a '.join(scoped)}: name one"))
        for key in scoped:
            name = getattr(rule, key)
            if name not in known[key]:
                hint = f"{key}s: " + (", ".join(sorted(known[key])) or "none")
                text = f"alert rule '{rule.name}' names the {key} '{name}', which the project does not have"
                problems.append(src.problem((*loc, key), text, hint))
        for position, channel in enumerate(rule.channels or []):
            if channel not in alerts.channels:
                hint = "channels: " + (", ".join(sorted(alerts.channels)) or "none")
                problems.append(
                    src.problem((*loc, "channels", position), f"there is no alert channel '{channel}'", hint)
                )
    return problems


def alert_secrets(data: dict[str, Any]) -> list[tuple[Reference, Loc]]:
    """The `${secret:...}` references of the alert channels, for the vault check."""
    raw = data.get("alerts")
    channels = raw.get("channels") if isinstance(raw, dict) else None
    found: list[tuple[Reference, Loc]] = []
    for name, channel in (channels or {}).items() if isinstance(channels, dict) else ():
        for key in ("url", "password"):
            value = channel.get(key) if isinstance(channel, dict) else None
            try:
                ref = parse_reference(value)
            except BadReference:
                continue  # the model's pattern reports it
            if ref is not None and ref.kind == "secret":
                found.append((ref, ("alerts", "channels", name, key)))
    return found
