"""What reconciliation asks of a system: its records of each entity and each document's
contribution to the control totals, in accord's vocabulary
(``accord.canonical.reconciliation``). An ERP's reader also opens its general ledger, so
reconciliation can check journals balance, receivables agree with the subledger and the
period's postings pass an independent ledger check. Each connector builds its reader
(``ConnectorDefinition.reconciliation_reader``); reconciliation never knows whose it is."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Protocol, runtime_checkable

from accord.canonical.ledger import JournalEntry
from accord.canonical.reconciliation import (
    Contribution,
    Entity,
    LedgerAccounts,
    LedgerLine,
    ReceivableRow,
    RecordView,
)


@runtime_checkable
class ReconciliationReader(Protocol):
    system: str

    def records(self, entity: Entity) -> Iterator[RecordView]:
        """Every record of ``entity`` this system holds (in the reader's period)."""
        ...

    def contributions(self) -> Iterator[Contribution]:
        """Every document's contribution to the control totals (in the reader's period)."""
        ...


@runtime_checkable
class LedgerReader(ReconciliationReader, Protocol):
    """An ERP's reader, with its general ledger."""

    def journal_lines(self) -> Iterator[LedgerLine]:
        """Every journal line in the period, in transaction then line order."""
        ...

    def receivable_rows(self) -> Iterator[ReceivableRow]:
        """Every document's effect on the receivables control account and on the
        subledger, all time (receivables are a balance, not a period's flow)."""
        ...

    def postings(self) -> Iterator[JournalEntry]:
        """The period's GL postings as balanced journal entries: invoices, credits,
        payments, refunds and journals."""
        ...

    def ledger_accounts(self) -> LedgerAccounts:
        """The chart of accounts and the accounts the ledger check reads."""
        ...

    def account_balances(self, accounts: frozenset[str]) -> Iterator[tuple[str, str, Decimal]]:
        """(legal entity, currency, debits less credits) of the GL accounts ``accounts``,
        all time (a balance, like receivables), one row per legal entity and currency."""
        ...


__all__ = ["LedgerReader", "ReconciliationReader"]
