"""A reconciliation run stores its differences, opens one exception each with the routed
owner - unless an open exception already explains it, which it is then attached to -
updates them on the next run, and closes those that vanished."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from accord.canonical import Money
from accord.canonical.reconciliation import Contribution, Measure
from accord.engine.exception_queue import Problem, open_exception, resolve_exception
from accord.engine.owners import OwnerRule, OwnerRules
from accord.errors import Team
from accord.reconcile import DifferenceKind, RecordView
from accord.reconcile.runs import KIND, Comparison, explained_by, run_reconciliation
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
    routing = OwnerRules(rules=(OwnerRule(kind="reconciliation", entity="invoice",
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
    report = run_reconciliation(db, OwnerRules(), [invoices([])])
    with db.session() as session:
        owners = {e.record_ref: e.owner for e in session.scalars(select(ExceptionRecord))}
    assert {d.key for d in report.differences} == {"INV-1", "INV-2"}
    assert owners == {"INV-1": "integration_engineering", "INV-2": "integration_engineering"}


def test_a_difference_held_by_an_open_flow_exception_takes_its_owner(db: Database) -> None:
    """The Stripe invoice in_2 was refused by the ERP (a closed period, finance's); the
    flow that noted INV-3's number failed too; INV-1's exception was resolved."""
    routing = OwnerRules()

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
    # one cause, one exception: the held differences open nothing of their own
    with db.session() as session:
        rows = {e.record_ref: e.owner for e in session.scalars(
            select(ExceptionRecord).where(ExceptionRecord.kind == KIND))}
        explained = explained_by(session, [refused, waiting])
        stored = {d.key: d.exception_id for d in session.scalars(select(ReconDifference))}
    assert rows == {"INV-1": "integration_engineering", "INV-4": "integration_engineering"}
    assert [d.key for d in explained[refused]] == ["INV-2"]
    assert [d.key for d in explained[waiting]] == ["INV-3"]
    assert (stored["INV-2"], stored["INV-3"]) == (refused, waiting)


def _flow_exception(db: Database, record_ref: str, correlation: str) -> int:
    """A payment flow stopped on the invoice it pays: an open flow exception about in_7."""
    exception_id = open_exception(db, OwnerRules(), Problem(
        error={"code": "data_quality", "reason": "the accounting period is closed",
               "owner": Team.FINANCE_OPERATIONS.value},
        correlation_id=correlation, workflow_id=None, flow="payment_posting",
        step="netsuite.post_invoice", system="netsuite", entity="stripe_invoice_id",
        record_ref=record_ref))
    with db.session() as session:
        for kind, value in (("stripe_invoice_id", record_ref), ("invoice_number", "INV-7"),
                            ("payment_id", "pay_7")):
            session.add(BusinessKey(correlation_id=correlation, kind=kind, value=value))
    return exception_id


def _month(invoices_in_erp: list[RecordView], payments_in_erp: list[RecordView]
           ) -> list[Comparison]:
    source_invoices = [RecordView("INV-7", "in_7", usd("39.50"))]
    source_payments = [RecordView("pay_7", "ch_7", usd("39.50"))]
    return [Comparison("invoice", "stripe", "netsuite", lambda: source_invoices,
                       lambda: invoices_in_erp),
            Comparison("payment", "stripe", "netsuite", lambda: source_payments,
                       lambda: payments_in_erp)]


def test_one_cause_one_exception_listing_the_differences_it_explains(db: Database) -> None:
    routing = OwnerRules()
    # a run before the cause was known opened a reconciliation exception for the invoice
    run_reconciliation(db, routing, _month([], [RecordView("pay_7", "9", usd("39.50"))]))
    [(early_id, early_status)] = _exceptions(db, KIND)
    assert early_status == "open"
    cause = _flow_exception(db, "in_7", "stripe:evt_7")

    missing = run_reconciliation(db, routing, _month([], []))
    assert {(d.key, d.held_by) for d in missing.differences} == {("INV-7", cause),
                                                                 ("pay_7", cause)}
    # the invoice's own reconciliation exception is closed as explained; nothing new opened
    assert missing.closed_exceptions == [early_id]
    assert _exceptions(db, KIND) == [(early_id, "resolved")]
    with db.session() as session:
        note = session.get(ExceptionRecord, early_id).note  # type: ignore[union-attr]
        explained = explained_by(session, [cause])
    assert note == f"explained by exception {cause} (reconciliation run {missing.run_id})"
    assert [(d.entity, d.key, d.run_id) for d in explained[cause]] == [
        ("invoice", "INV-7", missing.run_id), ("payment", "pay_7", missing.run_id)]
    assert run_detail_exception_ids(db, missing.run_id) == {cause}

    # the cause is fixed and both records reach the ERP: both clear
    resolve_exception(db, cause, actor="test", note="period reopened, reposted")
    agreed = run_reconciliation(db, routing, _month([RecordView("INV-7", "17", usd("39.50"))],
                                                    [RecordView("pay_7", "18", usd("39.50"))]))
    assert agreed.differences == []
    with db.session() as session:
        assert explained_by(session, [cause]) == {}
    assert [status for _id, status in _exceptions(db, KIND)] == ["resolved"]


def test_a_cause_closed_while_the_records_still_disagree_leaves_a_reconciliation_exception(
        db: Database) -> None:
    routing = OwnerRules()
    cause = _flow_exception(db, "in_7", "stripe:evt_7")
    run_reconciliation(db, routing, _month([], [RecordView("pay_7", "18", usd("39.50"))]))
    assert _exceptions(db, KIND) == []
    resolve_exception(db, cause, actor="test", note="closed without reposting")
    again = run_reconciliation(db, routing, _month([], [RecordView("pay_7", "18",
                                                                  usd("39.50"))]))
    assert [(d.key, d.held_by) for d in again.differences] == [("INV-7", None)]
    assert [status for _id, status in _exceptions(db, KIND)] == ["open"]


def _exceptions(db: Database, kind: str) -> list[tuple[int, str]]:
    with db.session() as session:
        return [(int(e.id), e.status) for e in session.scalars(
            select(ExceptionRecord).where(ExceptionRecord.kind == kind).order_by(
                ExceptionRecord.id))]


def run_detail_exception_ids(db: Database, run_id: int) -> set[int | None]:
    with db.session() as session:
        return {d.exception_id for d in session.scalars(select(ReconDifference).where(
            ReconDifference.run_id == run_id))}
