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
* :func:`erp_postings` turns the period's transactions into balanced journal entries (the
  postings NetSuite makes for them), :func:`export_ledger` writes them to a beancount file,
  has ``bean-check`` accept it and compares beancount's trial balance with the control totals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby
from pathlib import Path

from accord.canonical.ledger import JournalEntry, JournalLine, Side
from accord.canonical.money import Money
from accord.connectors.netsuite.refdata import RefData
from accord.reconcile.beancount_export import (
    AccountType,
    Chart,
    bean_check,
    trial_balance,
    write_ledger,
)
from accord.reconcile.keys import is_canonical
from accord.reconcile.period import period_of
from accord.reconcile.readers.netsuite import (
    ZERO,
    ErpDocument,
    JournalLineRow,
    NetSuiteReader,
    TranType,
)
from accord.reconcile.scratch import load, scratch_db
from accord.reconcile.totals import Contribution, Measure, control_totals


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


def unbalanced_journals(lines: Iterable[JournalLineRow], *, accord_only: bool = False
                        ) -> Iterator[JournalImbalance]:
    """Journals (lines in transaction order) whose debits and credits differ; with
    ``accord_only``, only those accord posted (a canonical external id)."""
    for transaction, group in groupby(lines, key=lambda line: line.transaction):
        debits = credits = ZERO
        first: JournalLineRow | None = None
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
    customer: str  # NetSuite internal id
    currency: str
    control_account: Money
    subledger: Money

    def describe(self) -> str:
        return (f"customer {self.customer}: receivables account {self.control_account}, "
                f"open invoices less unapplied cash {self.subledger}")


def _receivable_rows(reader: NetSuiteReader) -> Iterator[tuple[str, str, str, str]]:
    """(customer, currency, gl delta, subledger delta) per document, as decimal strings."""
    def row(doc: ErpDocument, gl: Decimal, open_amount: Decimal) -> tuple[str, str, str, str]:
        return (doc.customer or "", doc.currency, str(gl), str(open_amount))

    for doc in reader.documents(TranType.INVOICE):
        yield row(doc, doc.total, doc.remaining or ZERO)
    for doc in reader.documents(TranType.CREDIT_MEMO):
        yield row(doc, -doc.total, -(doc.remaining or ZERO))
    for doc in reader.documents(TranType.PAYMENT):
        unapplied = Decimal(str(reader.client.get("customerPayment", doc.id, expand=False)
                                .get("unapplied") or 0))
        yield row(doc, -doc.total, -unapplied)
    for doc in reader.documents(TranType.REFUND):
        yield row(doc, doc.total, ZERO)
    receivables = reader.ref.account_number(reader.ref.roles.accounts_receivable)
    for line in reader.journal_lines():
        if line.account == receivables:
            yield (line.customer or "", line.currency, str(line.debit - line.credit), "0")


def receivables_gaps(reader: NetSuiteReader) -> list[ReceivablesGap]:
    """Customers whose receivables control account differs from their open items (all time:
    receivables are a balance, not a period's flow)."""
    everything = NetSuiteReader(reader.client, reader.ref, keys=reader.keys, period=None,
                                page_size=reader.page_size)
    with scratch_db() as db:
        db.execute("CREATE TABLE ar (customer TEXT, currency TEXT, gl TEXT, sub TEXT)")
        load(db, "ar", ("customer", "currency", "gl", "sub"), _receivable_rows(everything))
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
def chart_of(ref: RefData) -> Chart:
    """Account types by the first digit of the account number (1 assets, 2 liabilities,
    3 equity, 4 income, others expenses)."""
    types = {"1": AccountType.ASSETS, "2": AccountType.LIABILITIES, "3": AccountType.EQUITY,
             "4": AccountType.INCOME}
    return Chart({number: types.get(number[:1], AccountType.EXPENSES)
                  for number in ref.accounts})


def _entry(doc: ErpDocument, lines: list[tuple[str, Side, Decimal]]) -> JournalEntry | None:
    kept = tuple(JournalLine(account=account, side=side, amount=doc.money(amount))
                 for account, side, amount in lines if amount != ZERO)
    if len(kept) < 2:
        return None
    return JournalEntry(legal_entity=doc.subsidiary, period=doc.period,
                        entry_date=doc.tran_date, currency=doc.currency, lines=kept,
                        memo=f"{doc.type.value} {doc.tran_id or doc.id}",
                        source_document=doc.external_id or doc.id)


def erp_postings(reader: NetSuiteReader) -> Iterator[JournalEntry]:
    """The GL postings of the reader's period: invoices, credit memos, payments, refunds and
    (balanced) journals."""
    ref = reader.ref
    number = ref.account_number
    ar, cash = number(ref.roles.accounts_receivable), number(ref.roles.cash)
    undeposited, tax = number(ref.roles.undeposited_funds), number(ref.roles.tax_payable)
    revenue = number(ref.roles.revenue)
    makers: dict[TranType, Callable[[ErpDocument], list[tuple[str, Side, Decimal]]]] = {
        TranType.INVOICE: lambda d: [(ar, Side.DEBIT, d.total),
                                     (revenue, Side.CREDIT, d.subtotal or ZERO),
                                     (tax, Side.CREDIT, d.total - (d.subtotal or ZERO))],
        TranType.CREDIT_MEMO: lambda d: [(revenue, Side.DEBIT, d.subtotal or ZERO),
                                         (tax, Side.DEBIT, d.total - (d.subtotal or ZERO)),
                                         (ar, Side.CREDIT, d.total)],
        TranType.PAYMENT: lambda d: [(undeposited, Side.DEBIT, d.total),
                                     (ar, Side.CREDIT, d.total)],
        TranType.REFUND: lambda d: [(ar, Side.DEBIT, d.total), (cash, Side.CREDIT, d.total)],
    }
    for tran_type, make in makers.items():
        for doc in reader.documents(tran_type):
            entry = _entry(doc, make(doc))
            if entry is not None:
                yield entry
    for _transaction, group in groupby(reader.journal_lines(), key=lambda line: line.transaction):
        lines = list(group)
        head = lines[0]
        if sum(line.debit for line in lines) != sum(line.credit for line in lines):
            continue  # reported by unbalanced_journals; beancount would refuse it
        posted: list[JournalLine] = []
        for line in lines:
            amount = line.debit - line.credit
            if amount != ZERO:
                posted.append(JournalLine(account=line.account,
                                          side=Side.DEBIT if amount > 0 else Side.CREDIT,
                                          amount=Money.of(abs(amount), head.currency)))
        if len(posted) >= 2:
            yield JournalEntry(legal_entity=head.subsidiary, period=period_of(head.tran_date),
                               entry_date=head.tran_date, currency=head.currency,
                               lines=tuple(posted), memo=f"Journal {head.transaction}",
                               source_document=head.external_id or head.transaction)


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


def _ledger_figures(balances: dict[tuple[str, str], Decimal], chart: Chart, ref: RefData
                    ) -> dict[tuple[str, str, str], Decimal]:
    number = ref.account_number
    cash_accounts = {number(ref.roles.cash), number(ref.roles.undeposited_funds),
                     number(ref.roles.processor_fees)}
    figures: dict[tuple[str, str, str], Decimal] = {}

    def add(check: str, subsidiary: str, currency: str, amount: Decimal) -> None:
        key = (subsidiary, currency, check)
        figures[key] = figures.get(key, ZERO) + amount

    for (account, currency), amount in balances.items():
        kind, subsidiary, acct = account.split(":", 2)
        acct = acct.removeprefix("A")
        if kind == AccountType.INCOME.value or acct == number(ref.roles.tax_payable):
            add("billed", subsidiary, currency, -amount)
        if acct in cash_accounts:
            add("cash", subsidiary, currency, amount)
        if acct == number(ref.roles.processor_fees):
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


def export_ledger(reader: NetSuiteReader, path: Path) -> LedgerReport:
    """Write the period's ERP postings to ``path``, have ``bean-check`` accept them (raises
    :class:`~accord.reconcile.beancount_export.LedgerCheckError` otherwise), and compare the
    trial balance with the control totals: revenue plus tax billed (invoiced + tax - credits),
    cash (payments - refunds, fees moved out of cash included), fees."""
    chart = chart_of(reader.ref)
    entries = write_ledger(erp_postings(reader), chart, path)
    bean_check(path)
    balances = trial_balance(path)
    ledger = _ledger_figures(balances, chart, reader.ref)
    control = _control_figures(reader.contributions())
    mismatches = [LedgerMismatch(sub, currency, check, ledger.get(key, ZERO),
                                 control.get(key, ZERO))
                  for key in sorted(set(ledger) | set(control))
                  for sub, currency, check in [key]
                  if ledger.get(key, ZERO) != control.get(key, ZERO)]
    return LedgerReport(path, entries, balances, mismatches)


__all__ = ["JournalImbalance", "LedgerMismatch", "LedgerReport", "ReceivablesGap", "chart_of",
           "erp_postings", "export_ledger", "receivables_gaps", "unbalanced_journals"]


