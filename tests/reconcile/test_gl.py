"""GL integrity against the NetSuite sandbox: journals balance, receivables agree with open
items per customer, and the period's postings pass bean-check with a trial balance that
matches the control totals."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from accord.canonical import JournalEntry, JournalLine, Money, Side
from accord.canonical.period import Period, period_of
from accord.connectors.netsuite.posting import NetSuitePoster
from accord.connectors.netsuite.reconciliation import NetSuiteReader
from accord.engine.owners import OwnerRules
from accord.errors import DataQualityError, Team
from accord.reconcile.differences import DifferenceKind
from accord.reconcile.gl import export_ledger, receivables_gaps, unbalanced_journals
from accord.reconcile.service import reconcile
from accord.store.models import ExceptionRecord

from .world import World


def this_month() -> Period:
    return Period.parse(period_of(datetime.now(UTC).date()))


def reader(world: World, period: Period | None = None) -> NetSuiteReader:
    return NetSuiteReader(world.netsuite, world.ref, period=period)


def post_fee_journal(world: World) -> str:
    today = datetime.now(UTC).date()
    fee = Money.of("36.10", "USD")
    entry = JournalEntry(legal_entity="US01", period=period_of(today), entry_date=today,
                         currency="USD", memo="Stripe fees",
                         lines=(JournalLine(account="6100", side=Side.DEBIT, amount=fee),
                                JournalLine(account="1100", side=Side.CREDIT, amount=fee)))
    return NetSuitePoster(world.netsuite, world.ref).post_journal(entry)


def manual_receivables_journal(world: World) -> str:
    """A hand-keyed journal debiting the customer's receivables: the GL moves, no open item
    does."""
    return world.netsuite.create("journalEntry", {
        "subsidiary": {"id": "1"}, "currency": {"id": "1"},
        "tranDate": datetime.now(UTC).date().isoformat(), "memo": "manual adjustment",
        "line": {"items": [
            {"account": {"id": "3"}, "debit": Decimal("10.00"),
             "entity": {"externalId": world.customer.id}},
            {"account": {"id": "5"}, "credit": Decimal("10.00")}]}})


def test_posted_journals_balance_and_a_planted_imbalance_is_found(baseline: World) -> None:
    journal = post_fee_journal(baseline)
    lines = list(reader(baseline).journal_lines())
    assert [line.account for line in lines] == ["6100", "1100"]
    assert list(unbalanced_journals(lines, accord_only=True)) == []
    # NetSuite itself refuses an unbalanced journal, so the imbalance is planted in the
    # stream the check reads
    with pytest.raises(DataQualityError):
        baseline.netsuite.update("journalEntry", journal, {"line": {"items": [
            {"account": {"id": "8"}, "debit": Decimal("36.10")},
            {"account": {"id": "2"}, "credit": Decimal("36.00")}]}})
    tampered = [lines[0], dataclasses.replace(lines[1], credit=Decimal("36.00"))]
    found = list(unbalanced_journals(tampered, accord_only=True))
    assert [(f.debits, f.credits, f.currency) for f in found] == [
        (Decimal("36.10"), Decimal("36.00"), "USD")]
    assert found[0].external_id is not None


def test_receivables_control_account_matches_open_items_until_a_manual_journal(
        baseline: World) -> None:
    assert receivables_gaps(reader(baseline)) == []
    manual_receivables_journal(baseline)
    gaps = receivables_gaps(reader(baseline))
    customer = baseline.netsuite.get_by_external_id("customer", baseline.customer.id)["id"]
    # invoices 1,721.00 less 1,250.00 cash plus a 15.00 refund, and the 10.00 journal
    assert [(g.customer, g.control_account, g.subledger) for g in gaps] == [
        (customer, Money.of("496.00", "USD"), Money.of("486.00", "USD"))]


def test_beancount_export_passes_bean_check_and_matches_control_totals(
        baseline: World, tmp_path: Path) -> None:
    post_fee_journal(baseline)
    report = export_ledger(reader(baseline, this_month()), tmp_path / "erp.beancount")
    assert report.mismatches == []
    assert report.entries == 6 + 2 + 1 + 1  # invoices, payments, refund, fee journal
    balances = report.balances
    assert balances[("Income:US01:A4000", "USD")] == Decimal("-1721.00")
    assert balances[("Assets:US01:A1200", "USD")] == Decimal("486.00")
    assert balances[("Expenses:US01:A6100", "USD")] == Decimal("36.10")

    manual_receivables_journal(baseline)
    drifted = export_ledger(reader(baseline, this_month()), tmp_path / "drift.beancount")
    assert [(m.check, m.ledger, m.control_total) for m in drifted.mismatches] == [
        ("billed", Decimal("1731.00"), Decimal("1721.00"))]


def test_gl_findings_open_an_exception_that_a_later_clean_run_resolves(baseline: World
                                                                       ) -> None:
    journal = manual_receivables_journal(baseline)
    outcome = reconcile(baseline.database, OwnerRules(), baseline.by_role())
    assert [(d.kind, d.entity, d.owner) for d in outcome.report.differences] == [
        (DifferenceKind.RECEIVABLES_GAP, "customer", Team.FINANCE_OPERATIONS)]
    assert outcome.report.differences[0].describe().endswith(
        "open items 486.00 USD, receivables account 496.00 USD")
    assert not outcome.clean

    baseline.netsuite.delete("journalEntry", journal)
    again = reconcile(baseline.database, OwnerRules(), baseline.by_role())
    assert again.clean
    assert len(again.report.closed_exceptions) == 1
    with baseline.database.session() as session:
        states = [(e.field, e.status) for e in session.scalars(select(ExceptionRecord))]
    assert states == [("receivables_gap", "resolved")]
