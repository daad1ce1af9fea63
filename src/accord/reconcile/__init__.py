"""Reconciliation: record-level matching, control totals and GL integrity across systems."""

from accord.canonical.reconciliation import Measure, RecordView
from accord.reconcile.differences import Difference, DifferenceKind
from accord.reconcile.matcher import compare
from accord.reconcile.totals import ControlTotal, control_totals

__all__ = [
    "ControlTotal",
    "Difference",
    "DifferenceKind",
    "Measure",
    "RecordView",
    "compare",
    "control_totals",
]
