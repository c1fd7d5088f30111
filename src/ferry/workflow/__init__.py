"""Workflows: a trigger, then steps with branches, waits and compensation, each persisted as it ends.

    plan = load(Path("workflows/order-to-cash.yaml"))

`load` checks everything that can be checked without running (the format, every expression and
payload, that each `steps.<name>` read names a step finished by then) and raises `ProblemsError`
with file, line and column for each problem. The engine runs plans (`ferry.engine.orchestration`).
"""

from ferry.workflow.loader import load, load_checked
from ferry.workflow.plan import WorkflowPlan

__all__ = ["WorkflowPlan", "load", "load_checked"]
