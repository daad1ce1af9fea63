"""Revenue schedules over real HTTP: an annual prepaid subscription invoiced in billing and
posted by the invoice posting flow defers its revenue in the ERP; a refund mid-term (the
refund flow's credit memo) re-plans what is left; ``accord.revenue.recognize`` month by
month posts one balanced journal per period, once; the deferred-revenue check passes at every
month end, and the ERP's ledger, exported to beancount, passes bean-check."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from accord.canonical.ids import EntityType, derived_id
from accord.canonical.party import Customer
from accord.canonical.period import Period, period_of
from accord.canonical.roles import Role
from accord.engine import FlowInput, run_flow
from accord.flows.invoice_posting import invoice_posting
from accord.flows.payments import payment_posting, refund_posting
from accord.flows.product_sync import product_master_sync
from accord.flows.systems import Systems
from accord.ports.reconciliation import LedgerReader
from accord.reconcile.deferred import deferred_revenue_gaps
from accord.reconcile.differences import DifferenceKind
from accord.reconcile.gl import export_ledger
from accord.reconcile.service import adapter_readers, check_gl, gl_differences
from accord.registry.golden import GoldenRecords
from accord.registry.xref import Xrefs
from accord.revenue import RecognitionError, journal_id_for, recognize
from accord.revenue.book import next_period
from accord.revenue.recognition import last_day
from accord.store.models import RevenueChangeRow, RevenueEntryRow, RevenueScheduleRow
from tests.flows.vendors import invoice_id_for

from .conftest import sandbox_overrides
from .support import exceptions

SEATS_FOR_A_YEAR = 120  # 10 seats x 12 months, prepaid
PRICE = Decimal("49.00")
REFUND = Decimal("1000.00")


def _open_periods(found: Systems, first: str, count: int) -> None:
    """Accounting periods the sandbox does not seed (it has last, this and next month), as
    finance opens them."""
    client = found.erp("US01").client  # type: ignore[attr-defined]
    period = first
    for _ in range(count):
        span = Period.parse(period)
        name = span.start.strftime("%b %Y")
        if not list(client.suiteql(f"SELECT id FROM accountingperiod WHERE periodname = "
                                   f"'{name}'")):
            client.create("accountingPeriod", {
                "periodName": name, "startDate": span.start.isoformat(),
                "endDate": (span.end - timedelta(days=1)).isoformat(), "isQuarter": False,
                "isYear": False})
        period = next_period(period)


def _customer(engine, found: Systems, start: datetime) -> tuple[Customer, str]:  # type: ignore[no-untyped-def]
    customer = Customer(id=derived_id(EntityType.CUSTOMER, "test", "Annual Prepaid"),
                        legal_name="Annual Prepaid Inc", legal_entity="US01", currency="USD")
    v1 = found.stripe.v1
    clock = v1.test_helpers.test_clocks.create(params={"frozen_time": int(start.timestamp())})
    stripe_customer = v1.customers.create(params={
        "name": customer.legal_name, "metadata": {"accord_id": customer.id},
        "test_clock": clock.id})
    method = v1.payment_methods.attach("pm_card_visa", params={"customer": stripe_customer.id})
    v1.customers.update(stripe_customer.id, params={
        "invoice_settings": {"default_payment_method": method.id}})
    erp = found.erp_instance("US01", "USD")
    internal = found.erp("US01", "USD").post_customer(customer)
    with engine.database.session() as session:
        xrefs = Xrefs(session)
        xrefs.link(customer.id, EntityType.CUSTOMER, "stripe", stripe_customer.id)
        xrefs.link(customer.id, EntityType.CUSTOMER, erp, internal)
        GoldenRecords(session, found.policy).merge(customer.id, EntityType.CUSTOMER, "test",
                                                   customer.model_dump(mode="json"))
    return customer, stripe_customer.id


def _annual_invoice(found: Systems, stripe_customer: str, start: datetime) -> str:
    """A year of platform seats, prepaid: one line with the year as its service period."""
    v1 = found.stripe.v1
    product = next(p for p in v1.products.list(params={"limit": 100}).data
                   if p.metadata["sku"] == "BW-PLAT-SEAT")
    price = next(p for p in v1.prices.list(params={"product": product.id}).data
                 if p.currency == "usd")
    end = start + timedelta(days=365)
    v1.invoice_items.create(params={
        "customer": stripe_customer, "price": price.id, "quantity": SEATS_FOR_A_YEAR,
        "period": {"start": int(start.timestamp()), "end": int(end.timestamp())}})
    invoice = v1.invoices.create(params={"customer": stripe_customer, "currency": "usd",
                                         "pending_invoice_items_behavior": "include"})
    if v1.invoices.finalize_invoice(invoice.id).status != "paid":
        v1.invoices.pay(invoice.id)
    return str(invoice.id)


def _run(flow, key: str, value: str, customer_id: str, attempt: int = 1):  # type: ignore[no-untyped-def]
    return run_flow(flow, FlowInput(correlation_id=f"test:{flow.__name__}:{value}:{attempt}",
                                    keys={key: value, "customer_id": customer_id},
                                    system="stripe")).get_result()


def _ledger(engine, found: Systems) -> LedgerReader:  # type: ignore[no-untyped-def]
    readers = adapter_readers(engine.database, found.adapters(), period=None)
    (reader,) = [r for r in readers[Role.ERP] if isinstance(r, LedgerReader)]
    return reader


def _journal_totals(found: Systems, journal_id: str) -> tuple[Decimal, Decimal, Decimal]:
    """(debits, credits, credits to subscription revenue) of a journal as the ERP holds it."""
    erp = found.erp("US01", "USD")
    journal = erp.client.get_by_external_id("journalEntry", journal_id)
    lines = journal["line"]["items"]
    debits = sum((Decimal(str(line["debit"])) for line in lines
                  if line.get("debit") is not None), Decimal(0))
    credits = sum((Decimal(str(line["credit"])) for line in lines
                   if line.get("credit") is not None), Decimal(0))
    revenue = sum((Decimal(str(line["credit"])) for line in lines
                   if line.get("credit") is not None
                   and erp.ref.account_number(line["account"]["id"]) == "4000"), Decimal(0))
    revenue -= sum((Decimal(str(line["debit"])) for line in lines
                    if line.get("debit") is not None
                    and erp.ref.account_number(line["account"]["id"]) == "4000"), Decimal(0))
    return debits, credits, revenue


def _recognize_and_check(engine, found: Systems, period: str) -> Decimal:  # type: ignore[no-untyped-def]
    """Recognize ``period``: one balanced journal, a re-run posts nothing, and the deferred
    revenue check passes. Returns the revenue the journal recognized."""
    run = recognize(engine.database, found.systems, period, as_of=last_day(period))
    (result,) = run.results
    assert result.posted
    assert result.journal_id == journal_id_for(period, "US01", "USD")
    debits, credits, revenue = _journal_totals(found, result.journal_id)
    assert debits == credits
    assert revenue == result.amount.amount
    again = recognize(engine.database, found.systems, period, as_of=last_day(period))
    assert again.posted == []
    assert deferred_revenue_gaps(_ledger(engine, found), engine.database) == []
    return revenue


def test_an_annual_subscription_refunded_mid_term_recognizes_what_was_invoiced_less_credits(
        engine, make_systems, tmp_path: Path) -> None:
    found: Systems = make_systems()
    run_flow(product_master_sync, FlowInput(correlation_id="sync:revenue")).get_result()
    start = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    first = period_of(start.date())
    _open_periods(found, next_period(next_period(first)), 12)
    customer, stripe_customer = _customer(engine, found, start)
    stripe_invoice = _annual_invoice(found, stripe_customer, start)
    _run(invoice_posting, "billing_invoice_id", stripe_invoice, customer.id)
    _run(invoice_posting, "billing_invoice_id", stripe_invoice, customer.id, attempt=2)
    _run(payment_posting, "billing_invoice_id", stripe_invoice, customer.id)

    invoiced = PRICE * SEATS_FOR_A_YEAR
    invoice_id = invoice_id_for(stripe_invoice)
    with engine.database.session() as session:
        (schedule,) = session.scalars(select(RevenueScheduleRow).where(
            RevenueScheduleRow.invoice_id == invoice_id)).all()
        periods = list(session.scalars(select(RevenueEntryRow.period).where(
            RevenueEntryRow.schedule_id == schedule.id).order_by(RevenueEntryRow.period)))
        planned = session.scalar(select(func.sum(RevenueEntryRow.amount_minor)).where(
            RevenueEntryRow.schedule_id == schedule.id))
    assert schedule.recognition == "ratable"
    # the line's code as the mapped invoice carries it: the ERP item the SKU posts as
    assert schedule.product_sku == found.skus.erp_item("BW-PLAT-SEAT")
    assert planned == int(invoiced * 100)
    assert periods[0] == first
    assert len(periods) in (12, 13)  # a year from mid-month touches 13 months
    # the ERP invoice's revenue line is deferred over its service period: the ERP books it to
    # the item's deferred revenue account, not income
    erp = found.erp("US01", "USD")
    posted = erp.client.get_by_external_id("invoice", invoice_id)
    (line,) = posted["item"]["items"]
    assert line["deferRevRec"] is True
    assert (line["revRecStartDate"], line["revRecEndDate"]) == (
        start.date().isoformat(),
        (start + timedelta(days=365, seconds=-1)).date().isoformat())  # billing's [start, end)
    item = erp.client.get("serviceSaleItem", line["item"]["id"])
    assert erp.ref.account_number(item["deferredRevenueAccount"]["id"]) == \
        found.skus.entry("BW-PLAT-SEAT").deferred_revenue_account
    assert deferred_revenue_gaps(_ledger(engine, found), engine.database) == []

    recognized = Decimal(0)
    for period in periods[:4]:
        recognized += _recognize_and_check(engine, found, period)

    # a refund in the fifth month: the credit memo reduces deferred revenue, and the rest of
    # the schedule is re-planned from the first period not recognized yet
    v1 = found.stripe.v1
    clock = v1.customers.retrieve(stripe_customer).test_clock
    refund_day = Period.parse(periods[4]).start + timedelta(days=9)
    v1.test_helpers.test_clocks.advance(str(clock), params={
        "frozen_time": int(datetime(refund_day.year, refund_day.month, refund_day.day, 12,
                                    tzinfo=UTC).timestamp())})
    charge = v1.charges.list(params={"customer": stripe_customer}).data[0]
    v1.refunds.create(params={"charge": charge.id, "amount": int(REFUND * 100)})
    _run(refund_posting, "billing_payment_id", charge.id, customer.id)
    _run(refund_posting, "billing_payment_id", charge.id, customer.id, attempt=2)
    with engine.database.session() as session:
        changes = session.scalars(select(RevenueChangeRow)).all()
    assert [change.amount_minor for change in changes] == [-int(REFUND * 100)]
    assert deferred_revenue_gaps(_ledger(engine, found), engine.database) == []

    for period in periods[4:]:
        recognized += _recognize_and_check(engine, found, period)
    assert recognized == invoiced - REFUND
    with engine.database.session() as session:
        left = session.scalar(select(func.count()).select_from(RevenueEntryRow).where(
            RevenueEntryRow.recognized_in.is_(None)))
    assert left == 0
    # a later period has nothing due: no journal
    assert recognize(engine.database, found.systems, next_period(periods[-1]),
                     as_of=last_day(next_period(periods[-1]))).results == []

    report = export_ledger(_ledger(engine, found), tmp_path / "ledger.beancount")
    assert report.mismatches == []
    text = (tmp_path / "ledger.beancount").read_text()
    # one recognition journal per period credits subscription revenue; nothing else does
    assert text.count("  Income:US01:A4000 ") == len(periods)
    assert report.balances[("Income:US01:A4000", "USD")] == -(invoiced - REFUND)
    assert report.balances[("Liabilities:US01:A2400", "USD")] == 0
    assert exceptions(engine.database) == []


def test_recognizing_a_period_that_has_not_ended_is_refused(engine, make_systems) -> None:
    found: Systems = make_systems()
    today = date.today()
    with pytest.raises(RecognitionError, match=r"period: .* has not ended"):
        recognize(engine.database, found.systems, period_of(today),
                  as_of=Period.parse(period_of(today)).start)


DOCS = Path(__file__).parents[2] / "docs" / "revenue.md"


def _documented_commands() -> list[list[str]]:
    """The commands ``docs/revenue.md`` shows."""
    (block,) = re.findall(r"```sh\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    return [shlex.split(line.split(" #", 1)[0]) for line in block.splitlines() if line.strip()]


def _config(tmp_path: Path, tables: dict[str, dict[str, object]]) -> Path:
    """An ``accord.toml`` with the test's ``[systems.*]`` tables."""
    lines = []
    for name, table in tables.items():
        lines.append(f'[systems."{name}"]')
        lines += [f"{key} = {json.dumps(value)}" for key, value in table.items()
                  if isinstance(value, str | int | bool)]
    path = tmp_path / "accord.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_documented_command_recognizes_a_one_off_service_once(
        engine, make_systems, sandboxes, sqlite_url: str, tmp_path: Path) -> None:
    found: Systems = make_systems()
    run_flow(product_master_sync, FlowInput(correlation_id="sync:docs")).get_result()
    start = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    period = period_of(start.date())
    customer, stripe_customer = _customer(engine, found, start)
    v1 = found.stripe.v1
    product = next(p for p in v1.products.list(params={"limit": 100}).data
                   if p.metadata["sku"] == "BW-ONBOARD")
    price = next(p for p in v1.prices.list(params={"product": product.id}).data
                 if p.currency == "usd")
    v1.invoice_items.create(params={"customer": stripe_customer, "price": price.id})
    invoice = v1.invoices.create(params={"customer": stripe_customer, "currency": "usd",
                                         "pending_invoice_items_behavior": "include"})
    v1.invoices.finalize_invoice(invoice.id)
    _run(invoice_posting, "billing_invoice_id", str(invoice.id), customer.id)
    with engine.database.session() as session:
        (schedule,) = session.scalars(select(RevenueScheduleRow)).all()
    assert schedule.recognition == "point_in_time"
    onboarding = found.skus.entry("BW-ONBOARD").prices["USD"]

    command, shown = _documented_commands()
    assert command[:3] == ["accord", "revenue", "recognize"]
    assert shown == ["accord", "revenue", "waterfall", "--csv"]
    options = dict(zip(command[3::2], command[4::2], strict=False))
    assert set(options) == {"--period", "--as-of"}
    assert "--json" in command
    args = [str(Path(sys.executable).with_name("accord")), *command[1:]]
    args[args.index("--period") + 1] = period
    args[args.index("--as-of") + 1] = last_day(period).isoformat()
    env = {key: value for key, value in os.environ.items() if not key.startswith("ACCORD_")}
    env.update(ACCORD_CONFIG=str(_config(tmp_path, sandbox_overrides(sandboxes))),
               ACCORD_DATABASE_URL=sqlite_url)
    runs = [subprocess.run(args, capture_output=True, text=True, env=env, cwd=tmp_path,
                           check=False, timeout=120) for _ in range(2)]
    for done in runs:
        assert done.returncode == 0, done.stderr
    first, second = (json.loads(done.stdout) for done in runs)
    (posted,) = first["journals"]
    assert (posted["legal_entity"], posted["currency"], posted["posted"]) == \
        ("US01", "USD", True)
    assert Decimal(posted["amount"]) == onboarding
    debits, credits, _subscriptions = _journal_totals(found, posted["journal_id"])
    assert debits == credits == onboarding
    (again,) = second["journals"]
    assert again["posted"] is False
    assert again["journal_id"] == posted["journal_id"]
    assert deferred_revenue_gaps(_ledger(engine, found), engine.database) == []
    waterfall = subprocess.run([args[0], *shown[1:]], capture_output=True, text=True, env=env,
                               cwd=tmp_path, check=False, timeout=120)
    assert waterfall.returncode == 0, waterfall.stderr
    header, *rows = waterfall.stdout.splitlines()
    assert header == "legal_entity,currency,period,recognized,scheduled"
    assert rows == [f"US01,USD,{period},{onboarding},0.00"]


def test_a_deferred_revenue_balance_moved_outside_accord_is_a_difference(
        engine, make_systems) -> None:
    found: Systems = make_systems()
    run_flow(product_master_sync, FlowInput(correlation_id="sync:gap")).get_result()
    start = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    customer, stripe_customer = _customer(engine, found, start)
    stripe_invoice = _annual_invoice(found, stripe_customer, start)
    _run(invoice_posting, "billing_invoice_id", stripe_invoice, customer.id)
    reader = _ledger(engine, found)
    assert check_gl(reader, None, engine.database).deferred == []

    # someone journals part of the deferred revenue to income by hand in the ERP
    erp = found.erp("US01", "USD")
    erp.client.create("journalEntry", {
        "subsidiary": {"id": erp.ref.subsidiary("US01").id},
        "currency": {"id": erp.ref.currency_id("USD")}, "tranDate": start.date().isoformat(),
        "line": {"items": [
            {"account": {"id": erp.ref.account_id("2400", "account")}, "debit": "100.00"},
            {"account": {"id": erp.ref.account_id("4000", "account")}, "credit": "100.00"}]}})
    report = check_gl(reader, None, engine.database)
    (gap,) = report.deferred
    assert (gap.legal_entity, gap.currency) == ("US01", "USD")
    assert gap.unrecognized.amount - gap.erp_balance.amount == Decimal("100.00")
    assert gap.unrecognized.amount == PRICE * SEATS_FOR_A_YEAR
    (difference,) = [d for d in gl_differences(report, "netsuite")
                     if d.kind is DifferenceKind.DEFERRED_REVENUE_GAP]
    assert difference.key == "deferred:US01:USD"
    assert difference.owner.value == "finance_operations"
