"""GL integrity of the ERP: journals balance, receivables agree with the subledger, and the
period's postings, exported to beancount, pass ``bean-check`` with a trial balance that matches
the control totals.

* :func:`unbalanced_journals` reads journal lines in transaction order and yields each journal
  whose debits and credits differ (per its currency), one journal in memory at a time.
* :func:`receivables_gaps` compares, per customer and currency, the receivables control
  account as the GL builds it (invoices - credit memos - payments + refunds, plus journal
  lines on the receivables account naming the customer) with the subledger (open invoices -
  unapplied credit memos - unapplied cash). Rows are spooled to a scratch table and summed
  in SQL.
* :func:`export_ledger` writes the period's postings (the ERP reader's balanced journal
  entries for its transactions) to a beancount file, has ``bean-check`` accept it and compares
  beancount's trial balance with the control totals.

Everything here reads the ERP through its reader's ledger
(``accord.ports.reconciliation.LedgerReader``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby
from pathlib import Path

from accord.canonical.ledger import AccountType
from accord.canonical.money import Money
from accord.canonical.reconciliation import Contribution, LedgerAccounts, LedgerLine, Measure
from accord.canonical.record_keys import is_canonical
from accord.ports.reconciliation import LedgerReader
from accord.reconcile.beancount_export import (
    Chart,
    bean_check,
    trial_balance,
    write_ledger,
)
from accord.reconcile.totals import control_totals
from accord.store.scratch import load, scratch_db

ZERO = Decimal(0)


@dataclass(frozen=True)
class JournalImbalance:
    transaction: str
    external_id: str | None
    currency: str
    debits: Decimal
    credits: Decimal

    def describe(self) -> str:
        return (f"journal {self.external_id or self.transaction}: debits {self.debits} != "
                f"credits {self.credits} {self.currency}")


def unbalanced_journals(lines: Iterable[LedgerLine], *, accord_only: bool = False
                        ) -> Iterator[JournalImbalance]:
    """Journals (lines in transaction order) whose debits and credits differ; with
    ``accord_only``, only those accord posted (a canonical external id)."""
    for transaction, group in groupby(lines, key=lambda line: line.transaction):
        debits = credits = ZERO
        first: LedgerLine | None = None
        for line in group:
            first = first or line
            debits += line.debit
            credits += line.credit
        if first is None or (accord_only and not is_canonical(first.external_id)):
            continue
        if debits != credits:
            yield JournalImbalance(transaction, first.external_id, first.currency, debits,
                                   credits)


# -- receivables control --------------------------------------------------------------------
@dataclass(frozen=True)
class ReceivablesGap:
    customer: str  # the ERP's id
    currency: str
    control_account: Money
    subledger: Money

    def describe(self) -> str:
        return (f"customer {self.customer}: receivables account {self.control_account}, "
                f"open invoices less unapplied cash {self.subledger}")


def receivables_gaps(reader: LedgerReader) -> list[ReceivablesGap]:
    """Customers whose receivables control account differs from their open items (all time:
    receivables are a balance, not a period's flow)."""
    with scratch_db() as db:
        db.execute("CREATE TABLE ar (customer TEXT, currency TEXT, gl TEXT, sub TEXT)")
        load(db, "ar", ("customer", "currency", "gl", "sub"),
             ((row.customer, row.currency, str(row.control_account), str(row.subledger))
              for row in reader.receivable_rows()))
        gaps = []
        current: tuple[str, str] | None = None
        gl = sub = ZERO
        rows = db.execute("SELECT customer, currency, gl, sub FROM ar "
                          "ORDER BY customer, currency")
        for customer, currency, gl_delta, sub_delta in [*rows, (None, None, "0", "0")]:
            if (customer, currency) != current:
                if current is not None and gl != sub:
                    gaps.append(ReceivablesGap(current[0], current[1],
                                               Money.of(gl, current[1]),
                                               Money.of(sub, current[1])))
                current, gl, sub = (customer, currency), ZERO, ZERO
            gl += Decimal(gl_delta)
            sub += Decimal(sub_delta)
    return gaps


# -- the beancount export ---------------------------------------------------------------------
@dataclass(frozen=True)
class LedgerMismatch:
    subsidiary: str
    currency: str
    check: str
    ledger: Decimal
    control_total: Decimal

    def describe(self) -> str:
        return (f"{self.check} {self.subsidiary} {self.currency}: ledger {self.ledger}, "
                f"control totals {self.control_total}")


@dataclass(frozen=True)
class LedgerReport:
    path: Path
    entries: int
    balances: dict[tuple[str, str], Decimal]
    mismatches: list[LedgerMismatch]


def _ledger_figures(balances: dict[tuple[str, str], Decimal], accounts: LedgerAccounts
                    ) -> dict[tuple[str, str, str], Decimal]:
    figures: dict[tuple[str, str, str], Decimal] = {}

    def add(check: str, subsidiary: str, currency: str, amount: Decimal) -> None:
        key = (subsidiary, currency, check)
        figures[key] = figures.get(key, ZERO) + amount

    for (account, currency), amount in balances.items():
        kind, subsidiary, acct = account.split(":", 2)
        acct = acct.removeprefix("A")
        if kind == AccountType.INCOME.value or acct == accounts.tax_payable or \
                acct in accounts.deferred_revenue:
            add("billed", subsidiary, currency, -amount)
        if acct in accounts.cash:
            add("cash", subsidiary, currency, amount)
        if acct == accounts.processor_fees:
            add("fees", subsidiary, currency, amount)
    return figures


def _control_figures(contributions: Iterable[Contribution]
                     ) -> dict[tuple[str, str, str], Decimal]:
    figures: dict[tuple[str, str, str], Decimal] = {}
    signs = {Measure.INVOICED: ("billed", 1), Measure.TAX: ("billed", 1),
             Measure.CREDITS: ("billed", -1), Measure.CASH: ("cash", 1),
             Measure.FEES: ("fees", 1)}
    for total in control_totals(contributions):
        if total.measure in signs:
            check, sign = signs[total.measure]
            key = (total.subsidiary.upper(), total.currency, check)
            figures[key] = figures.get(key, ZERO) + sign * total.total.amount
    return figures


def export_ledger(reader: LedgerReader, path: Path) -> LedgerReport:
    """Write the period's ERP postings to ``path``, have ``bean-check`` accept them (raises
    :class:`~accord.reconcile.beancount_export.LedgerCheckError` otherwise), and compare the
    trial balance with the control totals: revenue plus tax billed (invoiced + tax - credits),
    cash (payments - refunds, fees moved out of cash included), fees."""
    accounts = reader.ledger_accounts()
    entries = write_ledger(reader.postings(), Chart(accounts.types), path)
    bean_check(path)
    balances = trial_balance(path)
    ledger = _ledger_figures(balances, accounts)
    control = _control_figures(reader.contributions())
    mismatches = [LedgerMismatch(sub, currency, check, ledger.get(key, ZERO),
                                 control.get(key, ZERO))
                  for key in sorted(set(ledger) | set(control))
                  for sub, currency, check in [key]
                  if ledger.get(key, ZERO) != control.get(key, ZERO)]
    return LedgerReport(path, entries, balances, mismatches)


__all__ = ["JournalImbalance", "LedgerMismatch", "LedgerReport", "ReceivablesGap",
           "export_ledger", "receivables_gaps", "unbalanced_journals"]


