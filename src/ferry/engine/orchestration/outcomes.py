"""How a step ends other than by finishing: it waits, fails for good, or needs a person."""

from __future__ import annotations

from ferry.core.errors import PermanentError


class Waiting(Exception):
    """The step cannot finish yet; look again in `due_in` seconds (or sooner, when woken)."""

    def __init__(self, reason: str, due_in: float) -> None:
        super().__init__(reason)
        self.reason = reason
        self.due_in = due_in


class StepFailed(PermanentError):
    """The step failed for a reason the data or a system gave; retrying unchanged fails the same way."""


class ReviewRequested(PermanentError):
    """A `review` step: the run waits for a person, whose retry approves it."""
