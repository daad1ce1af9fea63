"""A reconciliation run stores its differences, opens one exception each with the routed
owner, updates them on the next run, and closes those that vanished."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from accord.canonical import Money
from accord.engine.exceptions import Problem, open_exception, resolve_exception
from accord.engine.routing import RoutingRule, RoutingRules
from accord.errors import Team
from accord.reconcile import DifferenceKind, RecordView
from accord.reconcile.runs import Comparison, run_reconciliation
from accord.reconcile.totals import Contribution, Measure
from accord.store import Database, upgrade
from accord.store.models import BusinessKey, ExceptionRecord, ReconDifference, ReconRun


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


def test_a_difference_held_by_an_open_flow_exception_takes_its_owner(db: Database) -> None:
    """The Stripe invoice in_2 was refused by the ERP (a closed period, finance's); the
    flow that noted INV-3's number failed too; INV-1's exception was resolved."""
    routing = RoutingRules()

    def flow_exception(record_ref: str | None, correlation: str, owner: Team,
                       flow_step: str) -> int:
        return open_exception(db, routing, Problem(
            error={"code": "data_quality", "reason": "refused", "owner": owner.value},
            correlation_id=correlation, workflow_id=None, flow="invoice_posting",
            step=flow_step, system="netsuite", entity="stripe_invoice_id",
            record_ref=record_ref))

    refused = flow_exception("in_2", "c-2", Team.FINANCE_OPERATIONS, "post")
    waiting = flow_exception(None, "c-3", Team.MASTER_DATA, "wait")
    done = flow_exception("in_1", "c-1", Team.MASTER_DATA, "post")
    resolve_exception(db, done, actor="test", note="posted by hand")
    with db.session() as session:
        session.add(BusinessKey(correlation_id="c-3", kind="invoice_number", value="INV-3"))

    source = [RecordView(f"INV-{n}", f"in_{n}", usd("10.00")) for n in (1, 2, 3, 4)]
    report = run_reconciliation(db, routing, [Comparison(
        "invoice", "stripe", "netsuite", lambda: source, lambda: [])])
    held = {d.key: (d.owner, d.held_by) for d in report.differences}
    assert held == {"INV-1": (Team.INTEGRATION_ENGINEERING, None),
                    "INV-2": (Team.FINANCE_OPERATIONS, refused),
                    "INV-3": (Team.MASTER_DATA, waiting),
                    "INV-4": (Team.INTEGRATION_ENGINEERING, None)}
    with db.session() as session:
        rows = {e.record_ref: (e.owner, e.reason) for e in session.scalars(
            select(ExceptionRecord).where(ExceptionRecord.kind == "reconciliation"))}
    assert rows["INV-2"] == ("finance_operations", "invoice INV-2 (stripe -> netsuite): "
                             f"missing in netsuite (held by exception {refused})")
    assert rows["INV-4"][0] == "integration_engineering"
