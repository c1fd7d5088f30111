"""Reconciliation: compare a sync's two systems whole, report the drift, and heal it through the engine."""

from ferry.engine.reconcile.compare import Comparison, Counts
from ferry.engine.reconcile.heal import HealSummary, remedy
from ferry.engine.reconcile.service import NotHealable, Reconciler, UnknownSync, reconcile_every

__all__ = [
    "Comparison",
    "Counts",
    "HealSummary",
    "NotHealable",
    "Reconciler",
    "UnknownSync",
    "reconcile_every",
    "remedy",
]
