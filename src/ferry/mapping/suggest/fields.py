"""The suggester's inputs and outputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Field:
    """A field of a source or target system, with what its connector knows of it.

    `type` is one of string, integer, decimal, money, boolean, date, datetime, object, or None when unknown.
    """

    name: str
    type: str | None = None
    description: str | None = None
    samples: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One candidate for a target field: the expression to write, how sure, and why in one line."""

    source: str
    expression: str
    confidence: float
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "expression": self.expression,
            "confidence": self.confidence,
            "reason": self.reason,
        }
