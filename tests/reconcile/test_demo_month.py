"""The issue's "Done when" for a demo month: after a seeded month runs through the flows (as
``accord demo`` runs it), reconciliation across Salesforce, Stripe and NetSuite reports the
planted bad records and nothing else, each once with its class and owner; ``--heal`` clears
what can be healed through the flows once its cause is fixed; and the month's ERP postings,
exported to beancount, pass ``bean-check`` with a trial balance matching the control totals.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from tests.flows.conftest import deployment, engine, make_systems, sandboxes  # noqa: F401
from tests.flows.month import current_month, run_month
from tests.flows.vendors import Vendors, payment_id_for

from accord.canonical.period import Period
from accord.canonical.roles import Role
from accord.demo.scenario import DEFECT_OWNERS, Defect, Scenario
from accord.demo.seeding import Seeded
from accord.engine import Runtime
from accord.engine.owners import OwnerRules
from accord.ports.reconciliation import ReconciliationReader
from accord.reconcile.differences import Difference, DifferenceKind
from accord.reconcile.heal import HEALERS, HealResult
from accord.reconcile.runs import explained_by
from accord.reconcile.service import Outcome, adapter_readers, reconcile, summary_line
from accord.store import Database
from accord.store.models import ExceptionRecord

Row = tuple[str, str, str, str, str, str]  # entity, key, kind, source, target, owner


def readers(database: Database, found: Vendors, period: Period | None = None
            ) -> dict[Role, list[ReconciliationReader]]:
    """The three systems through the deployment's own adapters (every ERP instance of the
    demo is the one NetSuite sandbox, read once)."""
    return adapter_readers(database, found.systems.adapters(), period=period)


def row(difference: Difference) -> Row:
    return (difference.entity, difference.key, difference.kind.value,
            difference.source_system, difference.target_system, difference.owner.value)


def planted_rows(found: Vendors, scenario: Scenario, seeded: Seeded) -> dict[Row, Defect]:
    """What each planted bad record must show as. A deal refused for its account's data or
    an unknown SKU leaves a won Salesforce account that never reached billing: missing in
    Stripe, once (the ERP is compared with Stripe). The deal backdated into the closed
    period has its Stripe invoice refused by NetSuite, and that invoice's payment waits on
    it: both missing in NetSuite, finance's."""
    expected: dict[Row, Defect] = {}
    missing = DifferenceKind.MISSING_IN_TARGET.value
    for ref, defect in scenario.defects():
        deal = next(d for d in scenario.deals if ref in (d.ref, d.account_ref))
        owner = DEFECT_OWNERS[defect].value
        if defect is Defect.CLOSED_PERIOD:
            subscription = found.salesforce.get("Opportunity", seeded.deals[deal.ref])[
                "Stripe_Subscription_Id__c"]
            invoice = found.stripe.v1.invoices.list(
                params={"subscription": subscription}).data[0]
            assert invoice.status == "paid"
            charge = found.stripe.v1.charges.list(params={"customer": invoice.customer}).data[0]
            expected[("invoice", str(invoice.number), missing, "stripe", "netsuite",
                      owner)] = defect
            expected[("payment", payment_id_for(charge.id), missing, "stripe", "netsuite",
                      owner)] = defect
        else:
            account = seeded.accounts[deal.account_ref]
            expected[("customer", f"salesforce:{account}", missing, "salesforce", "stripe",
                      owner)] = defect
    return expected


def reconciliation_exceptions(database: Database) -> list[ExceptionRecord]:
    with database.session() as session:
        rows = list(session.scalars(select(ExceptionRecord).where(
            ExceptionRecord.kind == "reconciliation").order_by(ExceptionRecord.id)))
        session.expunge_all()
        return rows


def exception(database: Database, exception_id: int) -> ExceptionRecord:
    with database.session() as session:
        found = session.get(ExceptionRecord, exception_id)
        assert found is not None
        session.expunge(found)
        return found


def reopen_period(found: Vendors, name: str) -> None:
    """Finance reopens the closed period in the ERP (the cause of the refused posting)."""
    client = found.netsuite["netsuite"].client
    period = next(row for row in client.suiteql(
        "SELECT id, periodname FROM accountingperiod") if row["periodname"] == name)
    client.update("accountingPeriod", period["id"], {
        "isClosed": False, "arLocked": False, "apLocked": False, "allLocked": False})


def run(runtime: Runtime, found: Vendors, period: Period | None = None, **options: Any
        ) -> Outcome:
    return reconcile(runtime.database, OwnerRules(), readers(runtime.database, found, period),
                     period=period, **options)


def test_after_a_demo_month_only_the_planted_records_differ_and_heal_clears_the_healable(
        engine: Runtime, make_systems: Any, tmp_path: Path) -> None:  # noqa: F811
    found: Vendors = make_systems()
    month = run_month(engine.database, found)
    scenario, seeded = month.scenario, month.seeded
    expected = planted_rows(found, scenario, seeded)
    assert Counter(expected.values()) == Counter(defect for _, defect in scenario.defects()
                                                 if defect is not Defect.CLOSED_PERIOD) + \
        Counter({Defect.CLOSED_PERIOD: 2})

    # all time: the month and the deal backdated into the closed period before it
    first = run(engine, found)
    rows = [row(d) for d in first.report.differences]
    assert Counter(rows) == Counter(expected.keys()), rows  # each planted record once, nothing else
    assert summary_line(first).startswith(
        "reconciliation: 5 differences (missing_in_target 5: finance_operations 2, "
        "master_data 3); control totals differ in ")
    # each is held by the flow exception that refused it, and names it
    for difference in first.report.differences:
        assert difference.held_by is not None
        holder = exception(engine.database, difference.held_by)
        assert holder.status == "open"
        assert holder.owner == difference.owner.value
        assert f"held by exception {holder.id}" in difference.describe()
    # the control totals differ only where the refused invoice and its payment are missing
    closed = scenario.closed_period
    assert {(d.period, d.measure.value) for d in first.report.total_differences} <= {
        (closed, "invoiced"), (closed, "tax"), (closed, "cash")}
    assert first.report.total_differences
    assert first.gl is not None
    assert first.gl.clean, first.gl
    # one cause, one exception: nothing opened for the differences, each listed on its cause
    assert reconciliation_exceptions(engine.database) == []
    holders = {d.held_by for d in first.report.differences if d.held_by is not None}
    with engine.database.session() as session:
        explained = explained_by(session, holders)
    listed = Counter((d.entity, d.key, d.kind, d.source_system, d.target_system,
                      exception(engine.database, holder).owner)
                     for holder, rows in explained.items() for d in rows)
    assert listed == Counter(expected.keys())
    assert sorted(len(rows) for rows in explained.values()) == [1, 1, 1, 2]

    # heal before the cause is fixed: the flows refuse again, nothing clears
    refused = run(engine, found, healers=HEALERS)
    assert {(a.difference.entity, a.result) for a in refused.healed} >= {
        ("invoice", HealResult.FAILED)}
    assert Counter(row(d) for d in refused.report.differences) == Counter(expected.keys())

    # finance reopens the period; heal re-drives the invoice and its payment through the
    # flows, and the re-check finds only the records master data must fix
    reopen_period(found, next(d for d in scenario.deals if d.defect is Defect.CLOSED_PERIOD)
                  .start_date.strftime("%b %Y"))
    healed = run(engine, found, healers=HEALERS)
    results = {(a.difference.entity, a.difference.key): a.result for a in healed.healed}
    closed_rows = [r for r, defect in expected.items() if defect is Defect.CLOSED_PERIOD]
    assert all(results[(entity, key)] is HealResult.REDRIVEN
               for entity, key, *_ in closed_rows), healed.healed
    assert healed.first is not None
    remaining = Counter(row(d) for d in healed.report.differences)
    assert remaining == Counter({r: 1 for r, defect in expected.items()
                                 if defect is not Defect.CLOSED_PERIOD})
    assert healed.report.total_differences == []
    assert healed.gl is not None
    assert healed.gl.clean, healed.gl
    assert summary_line(healed) == ("reconciliation: 3 differences (missing_in_target 3: "
                                    "master_data 3); control totals agree; GL clean")
    # the flow exception that held the healed records is resolved and explains nothing any
    # more (both cleared); the others stay open with their owners, listing their records
    assert reconciliation_exceptions(engine.database) == []
    with engine.database.session() as session:
        still = explained_by(session, holders)
    for difference in first.report.differences:
        assert difference.held_by is not None
        holder = exception(engine.database, difference.held_by)
        healable = difference.entity != "customer"
        assert holder.status == ("resolved" if healable else "open")
        assert ((difference.entity, difference.key) in
                {(d.entity, d.key) for d in still.get(holder.id, [])}) is not healable

    # nothing posted twice: a clean re-run changes nothing
    again = run(engine, found)
    assert Counter(row(d) for d in again.report.differences) == remaining


def test_the_demo_months_erp_postings_pass_bean_check_matching_the_control_totals(
        engine: Runtime, make_systems: Any, tmp_path: Path) -> None:  # noqa: F811
    found: Vendors = make_systems()
    run_month(engine.database, found)
    period = Period.parse(current_month())
    ledger = tmp_path / f"erp-{period.label}.beancount"
    outcome = run(engine, found, period, ledger_path=ledger)
    assert outcome.gl is not None
    report = outcome.gl.ledger
    assert report is not None  # bean-check accepted it (export_ledger raises otherwise)
    assert report.mismatches == []  # trial balance = the ERP's control totals
    # ... and the ERP's control totals are Stripe's: the month holds no planted difference
    assert outcome.report.total_differences == []
    assert report.entries > 0
    text = ledger.read_text()
    assert "open" in text
    # the trial balance balances in every currency
    by_currency: dict[str, Decimal] = {}
    for (_account, currency), amount in report.balances.items():
        by_currency[currency] = by_currency.get(currency, Decimal(0)) + amount
    assert set(by_currency) == {"USD", "EUR"}
    assert all(total == 0 for total in by_currency.values()), by_currency
    # revenue was booked: the month's invoicing waits in deferred revenue (docs/revenue.md),
    # which equals what the revenue schedules have not recognized yet
    accounts = {f"A{entry.deferred_revenue_account}" for entry in found.skus.skus.values()
                if entry.deferred_revenue_account}
    deferred = [key for key in report.balances if key[0].startswith("Liabilities:")
                and key[0].rsplit(":", 1)[-1] in accounts]
    assert deferred
    assert all(report.balances[account] < 0 for account in deferred)
    assert outcome.gl.deferred == []
