"""Readers stream each sandbox's records; the baseline agrees everywhere."""

from __future__ import annotations

from accord.engine.routing import RoutingRules
from accord.reconcile.plan import comparisons, contributions
from accord.reconcile.readers.base import Entity
from accord.reconcile.runs import run_reconciliation
from accord.reconcile.totals import Measure

from .world import World


def test_the_consistent_baseline_reconciles_clean(baseline: World) -> None:
    readers = baseline.readers()
    stripe_invoices = sorted(r.key for r in readers["stripe"].records(Entity.INVOICE))
    netsuite_invoices = sorted(r.key for r in readers["netsuite"].records(Entity.INVOICE))
    assert len(stripe_invoices) == 6
    assert stripe_invoices == netsuite_invoices
    report = run_reconciliation(baseline.database, RoutingRules(), comparisons(readers),
                                contributions(readers), compare_totals=("stripe", "netsuite"))
    assert report.differences == []
    assert report.total_differences == []
    cash = {t.system: t.total for t in report.totals if t.measure is Measure.CASH}
    assert str(cash["stripe"]) == str(cash["netsuite"]) == "1235.00 USD"
