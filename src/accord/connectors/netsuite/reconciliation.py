"""NetSuite: customers and transactions through SuiteQL, 1,000 rows a page.

Transaction headers come from the ``transaction`` table (derived totals and amount remaining);
invoice and credit-memo subtotals from ``transactionline``, read in transaction order and
merged with the headers one document at a time, so nothing is held but the current document.

Keys: ``externalId`` is the canonical id accord posted with (or an upstream billing system's
id, resolved through xref); otherwise xref on the internal id; otherwise ``netsuite:<id>``.
Invoices are keyed by ``tranId`` (the invoice number) when they have one. Statuses are
accord's: an invoice ``Paid In Full`` is ``paid``, an ``Open`` one ``open``.

The reader also opens the general ledger (``accord.ports.reconciliation.LedgerReader``):
journal lines, receivables, and the period's postings (``connectors/netsuite/ledger.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from accord.canonical.ids import EntityType
from accord.canonical.ledger import AccountType, JournalEntry, Side
from accord.canonical.money import Money
from accord.canonical.period import Period, period_of
from accord.canonical.reconciliation import (
    Contribution,
    Entity,
    LedgerAccounts,
    LedgerLine,
    Measure,
    ReceivableRow,
    RecordView,
)
from accord.canonical.record_keys import (
    KeyResolver,
    NoKeys,
    is_canonical,
    keyed,
    relinked,
    unlinked,
)
from accord.connectors.netsuite.client import SUITEQL_PAGE, NetSuiteClient
from accord.connectors.netsuite.documents import ZERO, ErpDocument, TranType
from accord.connectors.netsuite.ledger import postings, receivable_rows
from accord.connectors.netsuite.refdata import RefData

SYSTEM = "netsuite"
_STATUSES = {"Paid In Full": "paid", "Open": "open"}
"""NetSuite's invoice statuses -> accord's (others are not compared)."""
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
                 page_size: int = SUITEQL_PAGE, upstream: tuple[str, ...] = ()) -> None:
        self.client = client
        self.ref = ref
        self.keys = keys or NoKeys()
        self.period = period
        self.page_size = page_size
        self.upstream = upstream

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
        pending: tuple[int, Decimal, str | None] | None = next(lines, None)
        for row in headers:
            ident = int(row["id"])
            subtotal: Decimal | None = None
            accounts: dict[str, Decimal] = {}
            if with_lines:
                subtotal = ZERO
                while pending is not None and pending[0] <= ident:
                    if pending[0] == ident:
                        subtotal += pending[1]
                        if pending[2] is not None:
                            accounts[pending[2]] = accounts.get(pending[2], ZERO) + pending[1]
                    pending = next(lines, None)
            yield self._document(tran_type, row, subtotal, tuple(sorted(accounts.items())))

    def _deferral_accounts(self) -> dict[str, str]:
        """Item internal id -> the GL account number of its deferred revenue account."""
        return {str(row["id"]): self.ref.account_number(str(row["deferredrevenueaccount"]))
                for row in self._query("SELECT i.id, i.deferredrevenueaccount FROM item i "
                                       "WHERE i.deferredrevenueaccount IS NOT NULL")}

    def _item_lines(self, tran_type: TranType) -> Iterator[tuple[int, Decimal, str | None]]:
        """(transaction, net amount, the deferred revenue account number of a line whose
        revenue is deferred - its item's - or None: the item's income)."""
        deferral = self._deferral_accounts()
        for row in self._query(
                "SELECT tl.transaction, tl.netamount, tl.item, tl.deferrevrec "  # noqa: S608
                "FROM transactionline tl INNER JOIN transaction t ON tl.transaction = t.id "
                f"WHERE t.type = '{tran_type.value}'{self._where_period('t')} "
                "ORDER BY tl.transaction"):
            deferred = row.get("deferrevrec") in ("T", True)
            yield (int(row["transaction"]), _decimal(row.get("netamount")),
                   deferral.get(str(row.get("item"))) if deferred else None)

    def _document(self, tran_type: TranType, row: dict[str, str], subtotal: Decimal | None,
                  line_accounts: tuple[tuple[str, Decimal], ...] = ()) -> ErpDocument:
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
            customer=row.get("entity"), subtotal=subtotal, line_accounts=line_accounts)

    def journal_lines(self) -> Iterator[LedgerLine]:
        """Every journal line in the period, in transaction then line order."""
        for row in self._query(
                "SELECT tl.transaction, tl.account, tl.debit, tl.credit, tl.entity, "  # noqa: S608
                "t.externalid, t.currency, t.subsidiary, t.trandate FROM transactionline tl "
                "INNER JOIN transaction t ON tl.transaction = t.id "
                f"WHERE t.type = 'Journal'{self._where_period('t')} "
                "ORDER BY tl.transaction, tl.linesequencenumber"):
            yield LedgerLine(
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
            yield RecordView(number or key, doc.id, doc.money(doc.total),
                             _STATUSES.get(doc.status or ""))

    def _keyed(self, entity: Entity, docs: Iterator[ErpDocument]
               ) -> Iterator[tuple[str, ErpDocument]]:
        """Canonical external id; else the internal id, or an upstream system's id carried
        as external id, through xref."""
        entity_type = _ENTITY_TYPES[entity]
        found = keyed(docs, self.keys, system=SYSTEM, entity=entity_type,
                      system_id=lambda d: d.id, carried=lambda d: self._carried(d.external_id))
        for upstream in self.upstream:
            found = relinked(found, self.keys, unlinked_prefix=unlinked(SYSTEM, ""),
                             system=upstream, entity=entity_type,
                             system_id=lambda d: d.external_id)
        return found

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

    # -- the general ledger ----------------------------------------------------------------
    def receivable_rows(self) -> Iterator[ReceivableRow]:
        return receivable_rows(self.everything())

    def postings(self) -> Iterator[JournalEntry]:
        return postings(self)

    def ledger_accounts(self) -> LedgerAccounts:
        number = self.ref.account_number
        types = {"1": AccountType.ASSETS, "2": AccountType.LIABILITIES,
                 "3": AccountType.EQUITY, "4": AccountType.INCOME}
        return LedgerAccounts(
            types={account: types.get(account[:1], AccountType.EXPENSES)
                   for account in self.ref.accounts},
            cash=frozenset({number(self.ref.roles.cash),
                            number(self.ref.roles.undeposited_funds),
                            number(self.ref.roles.processor_fees)}),
            tax_payable=number(self.ref.roles.tax_payable),
            processor_fees=number(self.ref.roles.processor_fees),
            deferred_revenue=frozenset({number(self.ref.roles.deferred_revenue)})
            if self.ref.roles.deferred_revenue else frozenset())

    def account_balances(self, accounts: frozenset[str]) -> Iterator[tuple[str, str, Decimal]]:
        """Summed from every posting (invoices and credit memos by line account, journals by
        line), all time."""
        totals: dict[tuple[str, str], Decimal] = {}
        for entry in self.everything().postings():
            for line in entry.lines:
                if line.account in accounts:
                    key = (entry.legal_entity, entry.currency)
                    signed = line.amount.amount if line.side is Side.DEBIT else \
                        -line.amount.amount
                    totals[key] = totals.get(key, ZERO) + signed
        for (entity, currency), total in sorted(totals.items()):
            yield entity, currency, total

    def everything(self) -> NetSuiteReader:
        """The same reader over all time."""
        return NetSuiteReader(self.client, self.ref, keys=self.keys, period=None,
                              page_size=self.page_size, upstream=self.upstream)


__all__ = ["ErpDocument", "NetSuiteReader", "TranType"]
