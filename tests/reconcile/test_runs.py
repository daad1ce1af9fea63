"""A reconciliation run stores its differences, opens one exception each with the routed
owner, updates them on the next run, and closes those that vanished."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from accord.canonical import Money
from accord.engine.routing import RoutingRule, RoutingRules
from accord.errors import Team
from accord.reconcile import DifferenceKind, RecordView
from accord.reconcile.runs import Comparison, run_reconciliation
from accord.reconcile.totals import Contribution, Measure
from accord.store import Database, upgrade
from accord.store.models import ExceptionRecord, ReconDifference, ReconRun


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    upgrade(database.engine)
    yield database
    database.dispose()


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def invoices(target: list[RecordView]) -> Comparison:
    source = [RecordView("INV-1", "in_1", usd("10.00")),
              RecordView("INV-2", "in_2", usd("20.00"))]
    return Comparison("invoice", "stripe", "netsuite", lambda: source, lambda: target)


def test_run_opens_updates_and_closes_exceptions(db: Database) -> None:
    routing = RoutingRules(rules=(RoutingRule(kind="reconciliation", entity="invoice",
                                              system="netsuite",
                                              owner=Team.FINANCE_OPERATIONS),))
    drifted = [RecordView("INV-1", "101", usd("10.00")), RecordView("INV-9", "109", usd("5.00"))]
    first = run_reconciliation(
        db, routing, [invoices(drifted)], period="2026-11",
        contributions=[Contribution("stripe", "US01", "2026-11", Measure.INVOICED,
                                    usd("30.00"))])
    assert sorted((d.key, d.kind) for d in first.differences) == [
        ("INV-2", DifferenceKind.MISSING_IN_TARGET), ("INV-9", DifferenceKind.ORPHAN)]
    with db.session() as session:
        exceptions = session.scalars(select(ExceptionRecord).order_by(
            ExceptionRecord.record_ref)).all()
        assert [(e.record_ref, e.owner, e.status) for e in exceptions] == [
            ("INV-2", "finance_operations", "open"), ("INV-9", "finance_operations", "open")]
        assert "missing in netsuite" in exceptions[0].reason
        run = session.get(ReconRun, first.run_id)
        assert run is not None
        assert (run.status, run.difference_count, run.period) == ("finished", 2, "2026-11")
        assert run.totals is not None
        assert run.totals["control_totals"][0]["total"] == "30.00"

    # INV-2 got posted; the orphan is still there: one exception updated, one closed
    fixed = [*drifted, RecordView("INV-2", "102", usd("20.00"))]
    second = run_reconciliation(db, routing, [invoices(fixed)])
    assert [(d.key, d.kind) for d in second.differences] == [("INV-9", DifferenceKind.ORPHAN)]
    with db.session() as session:
        states = {e.record_ref: (e.status, e.occurrences) for e in
                  session.scalars(select(ExceptionRecord))}
        assert states == {"INV-2": ("resolved", 1), "INV-9": ("open", 2)}
        assert len(second.closed_exceptions) == 1
        stored = session.scalars(select(ReconDifference).where(
            ReconDifference.run_id == second.run_id)).all()
        assert [(d.key, d.kind, d.owner) for d in stored] == [
            ("INV-9", "orphan", "finance_operations")]


def test_default_owner_applies_without_rules(db: Database) -> None:
    report = run_reconciliation(db, RoutingRules(), [invoices([])])
    with db.session() as session:
        owners = {e.record_ref: e.owner for e in session.scalars(select(ExceptionRecord))}
    assert {d.key for d in report.differences} == {"INV-1", "INV-2"}
    assert owners == {"INV-1": "integration_engineering", "INV-2": "integration_engineering"}
