"""Control totals are exact; beancount's own checker accepts exported postings and its trial
balance matches the control totals; a tampered ledger is refused."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from accord.canonical import JournalEntry, JournalLine, Money, Side
from accord.canonical.reconciliation import Contribution, Measure
from accord.reconcile.beancount_export import (
    AccountType,
    Chart,
    LedgerCheckError,
    bean_check,
    render_ledger,
    trial_balance,
)
from accord.reconcile.totals import control_totals, total_differences

CHART = Chart({"1100": AccountType.ASSETS, "1200": AccountType.ASSETS,
               "2200": AccountType.LIABILITIES, "4000": AccountType.INCOME,
               "6100": AccountType.EXPENSES})


def invoice_entry(day: int, net: str, tax: str, currency: str = "USD",
                  subsidiary: str = "US01") -> JournalEntry:
    net_m, tax_m = Money.of(net, currency), Money.of(tax, currency)
    lines = [JournalLine(account="1200", side=Side.DEBIT, amount=net_m + tax_m),
             JournalLine(account="4000", side=Side.CREDIT, amount=net_m)]
    if not tax_m.is_zero():
        lines.append(JournalLine(account="2200", side=Side.CREDIT, amount=tax_m))
    return JournalEntry(legal_entity=subsidiary, period="2026-11",
                        entry_date=date(2026, 11, day), currency=currency,
                        memo=f"invoice {day}", lines=tuple(lines))


def payment_entry(day: int, gross: str, fee: str) -> JournalEntry:
    gross_m, fee_m = Money.of(gross, "USD"), Money.of(fee, "USD")
    return JournalEntry(
        legal_entity="US01", period="2026-11", entry_date=date(2026, 11, day), currency="USD",
        lines=(JournalLine(account="1100", side=Side.DEBIT, amount=gross_m - fee_m),
               JournalLine(account="6100", side=Side.DEBIT, amount=fee_m),
               JournalLine(account="1200", side=Side.CREDIT, amount=gross_m)))


def test_control_totals_are_exact_per_currency_subsidiary_period() -> None:
    contributions = [Contribution("stripe", "US01", "2026-11", Measure.INVOICED,
                                  Money.of("0.10", "USD")) for _ in range(30)]
    contributions += [Contribution("stripe", "JP01", "2026-11", Measure.INVOICED,
                                   Money.of(1500, "JPY")),
                      Contribution("stripe", "KW01", "2026-11", Measure.TAX,
                                   Money.of("0.125", "KWD"))]
    totals = {(t.currency, t.measure): (t.total, t.count) for t in control_totals(contributions)}
    assert totals[("USD", Measure.INVOICED)] == (Money.of("3.00", "USD"), 30)
    assert totals[("JPY", Measure.INVOICED)] == (Money.of(1500, "JPY"), 1)
    assert totals[("KWD", Measure.TAX)] == (Money.of("0.125", "KWD"), 1)

    erp = control_totals([Contribution("netsuite", "US01", "2026-11", Measure.INVOICED,
                                       Money.of("2.90", "USD"))])
    billing = [t for t in control_totals(contributions) if t.currency == "USD"]
    assert total_differences(billing, erp) == [
        (("USD", "US01", "2026-11", Measure.INVOICED), Money.of("3.00", "USD"),
         Money.of("2.90", "USD"))]


def test_bean_check_accepts_exported_postings_and_trial_balance_matches(
        tmp_path: Path) -> None:
    entries = [invoice_entry(2, "1000.00", "85.00"), invoice_entry(3, "250.00", "0.00"),
               payment_entry(9, "1085.00", "31.77"),
               invoice_entry(4, "98000", "9800", currency="JPY", subsidiary="JP01")]
    ledger = tmp_path / "erp-2026-11.beancount"
    ledger.write_text(render_ledger(entries, CHART))
    bean_check(ledger)
    balances = trial_balance(ledger)
    # receivables: invoiced 1335.00 less cash applied 1085.00
    assert balances[("Assets:US01:A1200", "USD")] == Decimal("250.00")
    assert balances[("Income:US01:A4000", "USD")] == Decimal("-1250.00")
    assert balances[("Expenses:US01:A6100", "USD")] == Decimal("31.77")
    assert balances[("Income:JP01:A4000", "JPY")] == Decimal("-98000")
    invoiced = control_totals(
        Contribution("netsuite", e.legal_entity, e.period, Measure.INVOICED, line.amount)
        for e in entries for line in e.lines if line.account == "4000")
    assert {(t.currency, t.total.amount) for t in invoiced} == {
        ("USD", Decimal("1250.00")), ("JPY", Decimal("98000"))}


def test_a_tampered_ledger_is_refused(tmp_path: Path) -> None:
    ledger = tmp_path / "bad.beancount"
    text = render_ledger([invoice_entry(2, "1000.00", "85.00")], CHART)
    ledger.write_text(text.replace("-1000.00 USD", "-999.00 USD"))
    with pytest.raises(LedgerCheckError, match="does not balance"):
        bean_check(ledger)


def test_unknown_account_names_the_field() -> None:
    entry = JournalEntry(
        legal_entity="US01", period="2026-11", entry_date=date(2026, 11, 2), currency="USD",
        lines=(JournalLine(account="9999", side=Side.DEBIT, amount=Money.of("1.00", "USD")),
               JournalLine(account="4000", side=Side.CREDIT, amount=Money.of("1.00", "USD"))))
    with pytest.raises(KeyError, match="account: 9999"):
        render_ledger([entry], CHART)
