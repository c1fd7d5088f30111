"""Alerts: rules that watch a running project (error rates, lag, dead letters, authentication, held runs,
anomalies) and the channels that tell people (webhook, email, console). See docs/alerts.md."""

from __future__ import annotations

from collections.abc import Mapping

from ferry.alerts.channels import Outcome, Sender, deliver, sender
from ferry.alerts.evaluator import Alerting
from ferry.alerts.messages import Notice
from ferry.engine.breaker import CircuitBreaker
from ferry.engine.store.sqlite import SqliteStore
from ferry.project import Project
from ferry.project.alerts import Alerts, default_alerts


def project_alerts(project: Project) -> Alerts:
    """The project's `alerts:`, or the defaults when it declares none."""
    return project.spec.alerts or default_alerts()


def channels(project: Project) -> dict[str, Sender]:
    """Every channel of the project, secrets looked up now (ConfigError naming the one missing)."""
    return {name: sender(project, name, spec) for name, spec in project_alerts(project).channels.items()}


def alerting(
    project: Project, store: SqliteStore, breakers: Mapping[str, CircuitBreaker], base_url: str | None = None
) -> Alerting:
    """The alerting of a project run by this process."""
    return Alerting(
        project.spec.name,
        store,
        project_alerts(project),
        channels(project),
        syncs=[s.name for s in project.syncs],
        workflows=[w.name for w in project.workflows],
        breakers=breakers,
        base_url=base_url,
    )


__all__ = ["Alerting", "Notice", "Outcome", "Sender", "alerting", "channels", "deliver", "project_alerts"]
