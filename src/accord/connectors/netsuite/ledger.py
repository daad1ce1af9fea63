"""NetSuite's general ledger as reconciliation checks it: the postings NetSuite makes for each
transaction (invoices, credit memos, payments, refunds, and journals as entered), and each
document's effect on the receivables control account and on the subledger."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from itertools import groupby
from typing import Any, Protocol

from accord.canonical.ledger import JournalEntry, JournalLine, Side
from accord.canonical.money import Money
from accord.canonical.period import period_of
from accord.canonical.reconciliation import LedgerLine, ReceivableRow
from accord.connectors.netsuite.documents import ZERO, ErpDocument, TranType
from accord.connectors.netsuite.refdata import RefData


class Books(Protocol):
    """What the ledger reads of a NetSuite reader."""

    ref: RefData

    @property
    def client(self) -> Any: ...

    def documents(self, tran_type: TranType) -> Iterator[ErpDocument]: ...

    def journal_lines(self) -> Iterator[LedgerLine]: ...


def receivable_rows(books: Books) -> Iterator[ReceivableRow]:
    """Each document's effect on the receivables account and on the open items."""
    def row(doc: ErpDocument, gl: Decimal, open_amount: Decimal) -> ReceivableRow:
        return ReceivableRow(doc.customer or "", doc.currency, gl, open_amount)

    for doc in books.documents(TranType.INVOICE):
        yield row(doc, doc.total, doc.remaining or ZERO)
    for doc in books.documents(TranType.CREDIT_MEMO):
        yield row(doc, -doc.total, -(doc.remaining or ZERO))
    for doc in books.documents(TranType.PAYMENT):
        unapplied = Decimal(str(books.client.get("customerPayment", doc.id, expand=False)
                                .get("unapplied") or 0))
        yield row(doc, -doc.total, -unapplied)
    for doc in books.documents(TranType.REFUND):
        yield row(doc, doc.total, ZERO)
    receivables = books.ref.account_number(books.ref.roles.accounts_receivable)
    for line in books.journal_lines():
        if line.account == receivables:
            yield ReceivableRow(line.customer or "", line.currency, line.debit - line.credit,
                                ZERO)


def _flip(side: Side) -> Side:
    return Side.CREDIT if side is Side.DEBIT else Side.DEBIT


def _entry(doc: ErpDocument, lines: list[tuple[str, Side, Decimal]]) -> JournalEntry | None:
    kept = tuple(JournalLine(account=account, side=side if amount > 0 else _flip(side),
                             amount=doc.money(abs(amount)))
                 for account, side, amount in lines if amount != ZERO)
    if len(kept) < 2:
        return None
    return JournalEntry(legal_entity=doc.subsidiary, period=doc.period,
                        entry_date=doc.tran_date, currency=doc.currency, lines=kept,
                        memo=f"{doc.type.value} {doc.tran_id or doc.id}",
                        source_document=doc.external_id or doc.id)


def postings(books: Books) -> Iterator[JournalEntry]:
    """The GL postings of the reader's period: invoices, credit memos, payments, refunds and
    (balanced) journals."""
    ref = books.ref
    number = ref.account_number
    ar, cash = number(ref.roles.accounts_receivable), number(ref.roles.cash)
    undeposited, tax = number(ref.roles.undeposited_funds), number(ref.roles.tax_payable)
    revenue = number(ref.roles.revenue)
    makers: dict[TranType, Callable[[ErpDocument], list[tuple[str, Side, Decimal]]]] = {
        TranType.INVOICE: lambda d: [(ar, Side.DEBIT, d.total),
                                     (revenue, Side.CREDIT, d.item_income),
                                     *((account, Side.CREDIT, amount)
                                       for account, amount in d.line_accounts),
                                     (tax, Side.CREDIT, d.total - (d.subtotal or ZERO))],
        TranType.CREDIT_MEMO: lambda d: [(revenue, Side.DEBIT, d.item_income),
                                         *((account, Side.DEBIT, amount)
                                           for account, amount in d.line_accounts),
                                         (tax, Side.DEBIT, d.total - (d.subtotal or ZERO)),
                                         (ar, Side.CREDIT, d.total)],
        TranType.PAYMENT: lambda d: [(undeposited, Side.DEBIT, d.total),
                                     (ar, Side.CREDIT, d.total)],
        TranType.REFUND: lambda d: [(ar, Side.DEBIT, d.total), (cash, Side.CREDIT, d.total)],
    }
    for tran_type, make in makers.items():
        for doc in books.documents(tran_type):
            entry = _entry(doc, make(doc))
            if entry is not None:
                yield entry
    for _transaction, group in groupby(books.journal_lines(), key=lambda line: line.transaction):
        lines = list(group)
        head = lines[0]
        if sum(line.debit for line in lines) != sum(line.credit for line in lines):
            continue  # reported as an unbalanced journal; a ledger check would refuse it
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


__all__ = ["Books", "postings", "receivable_rows"]
