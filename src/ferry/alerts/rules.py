"""Each rule kind judged against the store and the connections' breakers: per subject, does it hold now?

A rule judges each subject in its scope (a sync, a workflow or a connection) and answers a `Finding`:
whether the condition holds, a message saying what was seen either way, and the console page that shows
the cause. A subject it cannot judge yet (too little history) gets no finding, so its state stays as it is.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

from ferry.engine.breaker import CircuitBreaker
from ferry.engine.store.activity import Outcomes
from ferry.engine.store.sqlite import SqliteStore
from ferry.project.alerts import (
    AnomalyRule,
    AuthFailureRule,
    DeadLetterRule,
    ErrorRateRule,
    HeldRunsRule,
    LagRule,
    Rule,
)

DAY = 86400.0


@dataclass(frozen=True, slots=True)
class Finding:
    subject: str
    firing: bool
    message: str
    link: str | None = None


@dataclass
class Context:
    """What the rules look at: the store, the breakers, and the project's flows and connections."""

    store: SqliteStore
    now: float
    syncs: Sequence[str]
    workflows: Sequence[str]
    breakers: Mapping[str, CircuitBreaker]
    #: When each flow first finished anything (kept between evaluations: it does not move).
    first_finished: dict[str, float] = field(default_factory=dict)
    #: When a flow with no history yet was last looked for (a look can cost a walk of an index).
    looked: dict[str, float] = field(default_factory=dict)


def span(seconds: float) -> str:
    """`15 min`, `2 h`, `1.5 h`, `3 d`, `45 s`: a duration for people."""
    for unit, size in (("d", DAY), ("h", 3600.0), ("min", 60.0)):
        if seconds >= 2 * size or (seconds >= size and seconds % size == 0):
            n = seconds / size
            return f"{n:.0f} {unit}" if n >= 10 else f"{n:.1f}".removesuffix(".0") + f" {unit}"
    return f"{round(seconds)} s"


def _last(window: float) -> str:
    return "the last hour" if window == 3600 else f"the last {span(window)}"


def flow_link(name: str) -> str:
    return f"/flows/{quote(name, safe='')}"


def _flows(rule: ErrorRateRule | AnomalyRule, ctx: Context) -> tuple[list[str], list[str]]:
    """The syncs and the workflows a flow rule judges."""
    if rule.sync is not None:
        return [rule.sync], []
    if rule.workflow is not None:
        return [], [rule.workflow]
    return list(ctx.syncs), list(ctx.workflows)


async def _outcomes(ctx: Context, since: float, until: float, *, runs: bool) -> dict[str, Outcomes]:
    activity = ctx.store.activity
    return await (activity.run_outcomes if runs else activity.record_outcomes)(since, until)


async def error_rate(rule: ErrorRateRule, ctx: Context) -> list[Finding]:
    syncs, workflows = _flows(rule, ctx)
    found = []
    for names, runs in ((syncs, False), (workflows, True)):
        if not names:
            continue
        seen = await _outcomes(ctx, ctx.now - rule.window, ctx.now, runs=runs)
        what = "runs" if runs else "changes"
        for name in names:
            o = seen.get(name, Outcomes())
            rate = o.failed / o.processed if o.processed else 0.0
            firing = o.processed >= rule.min_processed and rate > rule.threshold
            message = (
                f"{name}: {o.failed} of {o.processed} {what} failed in {_last(rule.window)} "
                f"({rate:.0%}; the rule allows {rule.threshold:.0%})"
            )
            found.append(Finding(name, firing, message, flow_link(name)))
    return found


async def lag(rule: LagRule, ctx: Context) -> list[Finding]:
    oldest = await ctx.store.activity.oldest_pending()
    found = []
    for name in sorted(scope(rule, ctx)):
        since = oldest.get(name)
        age = max(0.0, ctx.now - since.timestamp()) if since else 0.0
        message = (
            f"{name}: the oldest waiting change has waited {span(age)} (the rule allows {span(rule.threshold)})"
            if since
            else f"{name}: no change is waiting"
        )
        found.append(Finding(name, age > rule.threshold, message, flow_link(name)))
    return found


async def dlq_size(rule: DeadLetterRule, ctx: Context) -> list[Finding]:
    open_letters = await ctx.store.open_dead_letters()
    found = []
    for name in sorted(scope(rule, ctx)):
        n = open_letters.get(name, 0)
        message = f"{name}: {n} record{'s' if n != 1 else ''} in the dead-letter queue"
        if n > rule.threshold:
            message += f" (the rule allows {rule.threshold})" if rule.threshold else "; replay them once fixed"
        found.append(Finding(name, n > rule.threshold, message, f"/dead-letters?sync={quote(name, safe='')}"))
    return found


#: How a pause an admin asked for begins (api/connections.py): that is no authentication failure.
MANUAL_PAUSE = "paused by "


async def auth_failure(rule: AuthFailureRule, ctx: Context) -> list[Finding]:
    found = []
    for name in sorted(scope(rule, ctx)):
        breaker = ctx.breakers.get(name)
        reason = breaker.paused_reason if breaker is not None else None
        if reason is not None and reason.startswith(MANUAL_PAUSE):
            reason = None
        message = (
            f"connection {name} cannot authenticate ({reason}); it is paused and its records wait until "
            "its credentials are fixed"
            if reason
            else f"connection {name} authenticates"
        )
        found.append(Finding(name, reason is not None, message, "/admin"))
    return found


async def held_runs(rule: HeldRunsRule, ctx: Context) -> list[Finding]:
    held = await ctx.store.activity.held_runs()
    found = []
    for name in sorted(scope(rule, ctx)):
        h = held.get(name)
        n = h.count if h else 0
        message = f"{name}: {n} run{'s' if n != 1 else ''} held for a person to decide"
        link = f"/runs/{h.oldest_run}" if h and n == 1 else flow_link(name)
        found.append(Finding(name, n > rule.threshold, message, link))
    return found


async def anomaly(rule: AnomalyRule, ctx: Context) -> list[Finding]:
    """Compare the last window with the same window of the day on each of the past `days` days.

    The usual level is the median of those days (one bad day does not move it); only days after the
    flow first finished anything count, and at least `min_days` of them are needed to judge.
    """
    syncs, workflows = _flows(rule, ctx)
    missing = [n for n in (*syncs, *workflows) if n not in ctx.first_finished and ctx.now - ctx.looked.get(n, 0) >= 600]
    if missing:
        ctx.looked.update(dict.fromkeys(missing, ctx.now))
        ctx.first_finished.update(
            await ctx.store.activity.first_finished(
                syncs=[n for n in syncs if n in missing], workflows=[n for n in workflows if n in missing]
            )
        )
    found = []
    for names, runs in ((syncs, False), (workflows, True)):
        if not names:
            continue
        now = await _outcomes(ctx, ctx.now - rule.window, ctx.now, runs=runs)
        past: list[tuple[float, dict[str, Outcomes]]] = []
        for day in range(1, rule.days + 1):
            end = ctx.now - day * DAY
            past.append((end - rule.window, await _outcomes(ctx, end - rule.window, end, runs=runs)))
        for name in names:
            start = ctx.first_finished.get(name)
            levels = [_level(rule, seen.get(name, Outcomes())) for since, seen in past if start and since >= start]
            if len(levels) < rule.min_days:
                continue
            found.append(_judge(rule, name, _level(rule, now.get(name, Outcomes())), levels, runs=runs))
    return found


def _level(rule: AnomalyRule, o: Outcomes) -> int:
    return o.failed if rule.measure == "failures" else o.processed


def _judge(rule: AnomalyRule, name: str, current: int, levels: list[int], *, runs: bool) -> Finding:
    usual = statistics.median(levels)
    high = current >= rule.min_count and current >= rule.factor * usual
    low = rule.measure == "throughput" and usual >= rule.min_count and current * rule.factor <= usual
    what = ("runs failed" if runs else "changes failed") if rule.measure == "failures" else "processed"
    compared = f"{current / usual:.1f}x the usual {usual:g}" if usual else "where there are usually none"
    same = "hour" if rule.window == 3600 else span(rule.window)
    basis = f"median of the same {same} over {len(levels)} past days"
    message = f"{name}: {current} {what} in {_last(rule.window)}, {compared} ({basis})"
    return Finding(name, high or low, message, flow_link(name))


def scope(rule: Rule, ctx: Context) -> set[str]:
    """The subjects the rule watches now: the one it names, or every one of its kind."""
    if isinstance(rule, ErrorRateRule | AnomalyRule):
        syncs, workflows = _flows(rule, ctx)
        return {*syncs, *workflows}
    if isinstance(rule, LagRule | DeadLetterRule):
        return {rule.sync} if rule.sync else set(ctx.syncs)
    if isinstance(rule, HeldRunsRule):
        return {rule.workflow} if rule.workflow else set(ctx.workflows)
    return {rule.connection} if rule.connection else set(ctx.breakers)


async def judge(rule: Rule, ctx: Context) -> list[Finding]:
    """The findings of one rule now."""
    if isinstance(rule, ErrorRateRule):
        return await error_rate(rule, ctx)
    if isinstance(rule, LagRule):
        return await lag(rule, ctx)
    if isinstance(rule, DeadLetterRule):
        return await dlq_size(rule, ctx)
    if isinstance(rule, AuthFailureRule):
        return await auth_failure(rule, ctx)
    if isinstance(rule, HeldRunsRule):
        return await held_runs(rule, ctx)
    return await anomaly(rule, ctx)
