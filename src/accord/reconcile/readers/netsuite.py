"""NetSuite: customers and transactions through SuiteQL, 1,000 rows a page.

Transaction headers come from the ``transaction`` table (derived totals and amount remaining);
invoice and credit-memo subtotals from ``transactionline``, read in transaction order and
merged with the headers one document at a time, so nothing is held but the current document.

Keys: ``externalId`` is the canonical id accord posted with (or a Stripe id, resolved through
xref); otherwise xref on the internal id; otherwise ``netsuite:<id>``. Invoices are keyed by
``tranId`` (the invoice number) when they have one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from accord.canonical.ids import EntityType
from accord.canonical.money import Money
from accord.connectors.netsuite.client import SUITEQL_PAGE, NetSuiteClient
from accord.connectors.netsuite.refdata import RefData
from accord.reconcile.keys import (
    KeyResolver,
    NoKeys,
    is_canonical,
    keyed,
    relinked,
    unlinked,
)
from accord.reconcile.matcher import RecordView
from accord.reconcile.period import Period, period_of
from accord.reconcile.readers.base import Entity
from accord.reconcile.totals import Contribution, Measure

SYSTEM = "netsuite"
ZERO = Decimal(0)


class TranType(StrEnum):
    INVOICE = "CustInvc"
    CREDIT_MEMO = "CustCred"
    PAYMENT = "CustPymt"
    REFUND = "CustRfnd"
    JOURNAL = "Journal"


@dataclass(frozen=True)
class ErpDocument:
    """One transaction header, amounts in the transaction currency."""

    id: str
    type: TranType
    external_id: str | None
    tran_id: str | None
    status: str | None
    currency: str
    subsidiary: str
    tran_date: date
    total: Decimal
    remaining: Decimal | None
    customer: str | None
    subtotal: Decimal | None = None  # invoices and credit memos

    @property
    def period(self) -> str:
        return period_of(self.tran_date)

    def money(self, amount: Decimal) -> Money:
        return Money.of(amount, self.currency)


@dataclass(frozen=True)
class JournalLineRow:
    transaction: str
    external_id: str | None
    account: str  # GL account number
    debit: Decimal
    credit: Decimal
    customer: str | None
    currency: str
    subsidiary: str
    tran_date: date


_ENTITY_TYPES = {Entity.CUSTOMER: EntityType.CUSTOMER, Entity.PAYMENT: EntityType.PAYMENT,
                 Entity.REFUND: EntityType.REFUND, Entity.INVOICE: EntityType.INVOICE}
_TYPES = {Entity.INVOICE: TranType.INVOICE, Entity.PAYMENT: TranType.PAYMENT,
          Entity.REFUND: TranType.REFUND}


def _decimal(value: str | None) -> Decimal:
    return Decimal(value) if value not in (None, "") else ZERO


class NetSuiteReader:
    system = SYSTEM

    def __init__(self, client: NetSuiteClient, ref: RefData, *,
                 keys: KeyResolver | None = None, period: Period | None = None,
                 page_size: int = SUITEQL_PAGE) -> None:
        self.client = client
        self.ref = ref
        self.keys = keys or NoKeys()
        self.period = period
        self.page_size = page_size

    def _where_period(self, alias: str) -> str:
        if self.period is None:
            return ""
        return (f" AND {alias}.trandate >= TO_DATE('{self.period.start.isoformat()}', "
                f"'YYYY-MM-DD') AND {alias}.trandate < TO_DATE('{self.period.end.isoformat()}', "
                "'YYYY-MM-DD')")

    def _query(self, sql: str) -> Iterator[dict[str, str]]:
        return self.client.suiteql(sql, page_size=self.page_size)

    # -- transactions ----------------------------------------------------------------------
    def documents(self, tran_type: TranType) -> Iterator[ErpDocument]:
        """Headers of one transaction type in the period, by internal id; invoices and credit
        memos with their subtotal (sum of item lines)."""
        headers = self._query(
            "SELECT t.id, t.externalid, t.tranid, t.status, t.currency, t.subsidiary, "  # noqa: S608
            "t.trandate, t.foreigntotal, t.foreignamountremaining, t.entity "
            f"FROM transaction t WHERE t.type = '{tran_type.value}'"
            f"{self._where_period('t')} ORDER BY t.id")
        with_lines = tran_type in (TranType.INVOICE, TranType.CREDIT_MEMO)
        lines = self._item_lines(tran_type) if with_lines else iter(())
        pending: tuple[int, Decimal] | None = next(lines, None)
        for row in headers:
            ident = int(row["id"])
            subtotal: Decimal | None = None
            if with_lines:
                subtotal = ZERO
                while pending is not None and pending[0] <= ident:
                    if pending[0] == ident:
                        subtotal += pending[1]
                    pending = next(lines, None)
            yield self._document(tran_type, row, subtotal)

    def _item_lines(self, tran_type: TranType) -> Iterator[tuple[int, Decimal]]:
        for row in self._query(
                "SELECT tl.transaction, tl.netamount FROM transactionline tl "  # noqa: S608
                "INNER JOIN transaction t ON tl.transaction = t.id "
                f"WHERE t.type = '{tran_type.value}'{self._where_period('t')} "
                "ORDER BY tl.transaction"):
            yield int(row["transaction"]), _decimal(row.get("netamount"))

    def _document(self, tran_type: TranType, row: dict[str, str], subtotal: Decimal | None
                  ) -> ErpDocument:
        remaining = row.get("foreignamountremaining")
        return ErpDocument(
            id=row["id"], type=tran_type, external_id=row.get("externalid"),
            tran_id=row.get("tranid") or None, status=row.get("status"),
            currency=self.ref.currency_code(row["currency"]),
            subsidiary=self.ref.subsidiary_code(row["subsidiary"]) if row.get("subsidiary")
            else "UNKNOWN",
            tran_date=date.fromisoformat(row["trandate"][:10]),
            total=_decimal(row.get("foreigntotal")),
            remaining=Decimal(remaining) if remaining is not None else None,
            customer=row.get("entity"), subtotal=subtotal)

    def journal_lines(self) -> Iterator[JournalLineRow]:
        """Every journal line in the period, in transaction then line order."""
        for row in self._query(
                "SELECT tl.transaction, tl.account, tl.debit, tl.credit, tl.entity, "  # noqa: S608
                "t.externalid, t.currency, t.subsidiary, t.trandate FROM transactionline tl "
                "INNER JOIN transaction t ON tl.transaction = t.id "
                f"WHERE t.type = 'Journal'{self._where_period('t')} "
                "ORDER BY tl.transaction, tl.linesequencenumber"):
            yield JournalLineRow(
                transaction=row["transaction"], external_id=row.get("externalid"),
                account=self.ref.account_number(row["account"]),
                debit=_decimal(row.get("debit")), credit=_decimal(row.get("credit")),
                customer=row.get("entity"), currency=self.ref.currency_code(row["currency"]),
                subsidiary=self.ref.subsidiary_code(row["subsidiary"]),
                tran_date=date.fromisoformat(row["trandate"][:10]))

    def customers(self) -> Iterator[dict[str, str]]:
        return self._query("SELECT id, externalid, currency, subsidiary FROM customer "
                           "ORDER BY id")

    # -- record views ----------------------------------------------------------------------
    def _carried(self, external_id: str | None) -> str | None:
        return external_id if is_canonical(external_id) else None

    def records(self, entity: Entity) -> Iterator[RecordView]:
        if entity is Entity.CUSTOMER:
            for key, row in keyed(self.customers(), self.keys, system=SYSTEM,
                                  entity=EntityType.CUSTOMER, system_id=lambda r: r["id"],
                                  carried=lambda r: self._carried(r.get("externalid"))):
                currency = row.get("currency")
                yield RecordView(key, row["id"],
                                 currency=self.ref.currency_code(currency) if currency else None)
            return
        if entity not in _TYPES:
            return
        docs = self.documents(_TYPES[entity])
        for key, doc in self._keyed(entity, docs):
            number = doc.tran_id if entity is Entity.INVOICE else None
            yield RecordView(number or key, doc.id, doc.money(doc.total), doc.status)

    def _keyed(self, entity: Entity, docs: Iterator[ErpDocument]
               ) -> Iterator[tuple[str, ErpDocument]]:
        """Canonical external id; else a Stripe id carried as external id, or the internal
        id, through xref."""
        entity_type = _ENTITY_TYPES[entity]
        first = keyed(docs, self.keys, system=SYSTEM, entity=entity_type,
                      system_id=lambda d: d.id, carried=lambda d: self._carried(d.external_id))
        return relinked(first, self.keys, unlinked_prefix=unlinked(SYSTEM, ""),
                        system="stripe", entity=entity_type,
                        system_id=lambda d: d.external_id)

    def contributions(self) -> Iterator[Contribution]:
        for doc in self.documents(TranType.INVOICE):
            subtotal = doc.subtotal or ZERO
            yield Contribution(SYSTEM, doc.subsidiary, doc.period, Measure.INVOICED,
                               doc.money(subtotal))
            yield Contribution(SYSTEM, doc.subsidiary, doc.period, Measure.TAX,
                               doc.money(doc.total - subtotal))
            if doc.remaining:
                yield Contribution(SYSTEM, doc.subsidiary, doc.period,
                                   Measure.OPEN_RECEIVABLES, doc.money(doc.remaining))
        for doc in self.documents(TranType.CREDIT_MEMO):
            yield Contribution(SYSTEM, doc.subsidiary, doc.period, Measure.CREDITS,
                               doc.money(doc.total))
        for doc in self.documents(TranType.PAYMENT):
            yield Contribution(SYSTEM, doc.subsidiary, doc.period, Measure.CASH,
                               doc.money(doc.total))
        for doc in self.documents(TranType.REFUND):
            yield Contribution(SYSTEM, doc.subsidiary, doc.period, Measure.CASH,
                               doc.money(-doc.total))
        fees = self.ref.account_number(self.ref.roles.processor_fees)
        for line in self.journal_lines():
            if line.account == fees:
                yield Contribution(SYSTEM, line.subsidiary, period_of(line.tran_date),
                                   Measure.FEES, Money.of(line.debit - line.credit,
                                                          line.currency))


__all__ = ["ErpDocument", "JournalLineRow", "NetSuiteReader", "TranType"]
