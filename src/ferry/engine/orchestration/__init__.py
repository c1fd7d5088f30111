"""Running workflows (`ferry.workflow` plans): runs started by trigger records, steps saved as they end."""

from ferry.engine.orchestration.runner import WorkflowRunner

__all__ = ["WorkflowRunner"]
