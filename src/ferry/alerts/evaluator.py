"""The alert evaluator: every `alerts.every` seconds, each rule judged for each subject, and its alert moved.

Per (rule, subject): when the condition starts to hold, an alert opens and is notified once; while it
holds the alert stays firing (its message kept current) and is notified again only every `repeat`; when it
clears the alert is resolved and that is notified. The state lives in the store, so a restart neither
forgets a firing alert nor notifies it again. Deliveries go out in tasks of their own: a slow or broken
channel delays nothing else, and no failure here ever reaches the engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ferry.alerts.channels import Outcome, Sender, deliver
from ferry.alerts.messages import Notice, NoticeEvent, channel_test_notice
from ferry.alerts.rules import Context, Finding, judge, scope
from ferry.engine.breaker import CircuitBreaker
from ferry.engine.store.alerts import Alert
from ferry.engine.store.sqlite import SqliteStore
from ferry.project.alerts import Alerts, Rule

log = logging.getLogger("ferry.alerts")


@dataclass
class Alerting:
    """The alert rules and channels of one running project."""

    project: str
    store: SqliteStore
    spec: Alerts
    channels: Mapping[str, Sender]
    syncs: Sequence[str] = ()
    workflows: Sequence[str] = ()
    breakers: Mapping[str, CircuitBreaker] = field(default_factory=dict)
    #: Where ferry is reached, for the links in notifications (`http://127.0.0.1:7070`).
    base_url: str | None = None
    attempts: int = 3
    backoff: float = 1.0
    _first_finished: dict[str, float] = field(default_factory=dict)
    _looked: dict[str, float] = field(default_factory=dict)
    _sending: set[asyncio.Task[None]] = field(default_factory=set)

    def url(self, link: str | None) -> str | None:
        if link is None or self.base_url is None:
            return None
        return self.base_url.rstrip("/") + link

    async def evaluate(self) -> None:
        """Judge every rule once and move the alerts; a rule that fails to judge is logged and skipped."""
        ctx = Context(
            self.store,
            self.store.clock(),
            self.syncs,
            self.workflows,
            self.breakers,
            self._first_finished,
            self._looked,
        )
        firing = {(a.rule, a.subject): a for a in await self.store.alerts.firing()}
        for rule in self.spec.rules:
            try:
                findings = await judge(rule, ctx)
            except Exception:
                log.exception("alert rule %s could not be evaluated", rule.name)
                for key in [k for k in firing if k[0] == rule.name]:
                    firing.pop(key)  # judged nothing: leave its alerts as they are
                continue
            for finding in findings:
                await self._move(rule, finding, firing.pop((rule.name, finding.subject), None), ctx.now)
        watched = {rule.name: scope(rule, ctx) for rule in self.spec.rules}
        for (rule_name, subject), alert in firing.items():
            if subject not in watched.get(rule_name, ()):
                # Its rule, or its subject, left the project (or the rule's scope): nothing will judge it again.
                await self.store.alerts.resolve(alert.id, message=f"{alert.message} (no longer watched)")

    async def _move(self, rule: Rule, finding: Finding, current: Alert | None, now: float) -> None:
        alerts = self.store.alerts
        if finding.firing and current is None:
            alert, new = await alerts.open(
                rule=rule.name,
                kind=rule.kind,
                subject=finding.subject,
                severity=rule.severity,
                message=finding.message,
                link=finding.link,
            )
            if new:  # else another process opened it a moment ago, and notifies it
                log.debug("alert %s on %s: %s", rule.name, finding.subject, finding.message)
                await self._notify(rule, alert, "firing")
        elif finding.firing and current is not None:
            await alerts.seen(current.id, message=finding.message, severity=rule.severity, link=finding.link)
            last = (current.notified_at or current.first_seen).timestamp()
            if rule.repeat is not None and now - last >= rule.repeat:
                await self._notify(rule, await self._reload(current), "repeat")
        elif current is not None:
            resolved = await alerts.resolve(current.id, message=finding.message)
            if resolved is not None:
                log.debug("alert %s on %s resolved: %s", rule.name, finding.subject, finding.message)
                await self._notify(rule, resolved, "resolved")

    async def _reload(self, alert: Alert) -> Alert:
        return await self.store.alerts.get(alert.id) or alert

    async def _notify(self, rule: Rule, alert: Alert, event: NoticeEvent) -> None:
        await self.store.alerts.notified(alert.id)
        notice = self.notice(alert, event)
        for name in rule.channels if rule.channels is not None else list(self.channels):
            channel = self.channels.get(name)
            if channel is None:
                log.warning("alert rule %s names the channel %s, which the project does not have", rule.name, name)
                continue
            delivery = await self.store.alerts.delivering(alert.id, name, event)
            task = asyncio.create_task(self._send(channel, notice, delivery), name=f"ferry-alert-{name}")
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    def notice(self, alert: Alert, event: NoticeEvent) -> Notice:
        return Notice(
            event,
            self.project,
            alert.rule,
            alert.kind,
            alert.subject,
            alert.severity,
            alert.message,
            self.url(alert.link),
            alert.id,
            alert.first_seen,
            alert.resolved_at,
        )

    async def _send(self, channel: Sender, notice: Notice, delivery: int) -> None:
        try:
            outcome = await deliver(channel, notice, attempts=self.attempts, backoff=self.backoff)
            await self.store.alerts.delivered(
                delivery,
                outcome="delivered" if outcome.delivered else "failed",
                attempts=outcome.attempts,
                error=outcome.error,
            )
        except Exception:  # the store closing under it, at shutdown: nothing else to do
            log.exception("the outcome of an alert delivery to %s was not recorded", channel.name)

    async def test(self, channel: str) -> Outcome:
        """Send a test message through one channel now (no alert is stored)."""
        notice = channel_test_notice(self.project, channel)
        if self.base_url:
            notice = dataclasses.replace(notice, url=self.url("/alerts"))
        return await deliver(self.channels[channel], notice, attempts=1)

    async def run(self, stopping: asyncio.Event) -> None:
        """Evaluate every `spec.every` seconds until `stopping` is set; then let deliveries finish briefly."""
        try:
            while not stopping.is_set():
                try:
                    await self.evaluate()
                except Exception:
                    log.exception("alert evaluation failed; trying again in %d s", self.spec.every)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), timeout=self.spec.every)
        finally:
            await self.flush(within=5.0)

    async def flush(self, within: float = 30.0) -> None:
        """Wait for the deliveries in flight (cancelling those still going after `within` seconds)."""
        pending = set(self._sending)
        if not pending:
            return
        _, late = await asyncio.wait(pending, timeout=within)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late)
