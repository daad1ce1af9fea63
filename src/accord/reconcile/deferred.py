"""The deferred-revenue check: the ERP's deferred revenue balance equals the unrecognized
remainder of accord's revenue schedules, per legal entity and currency.

The ERP side is read from the ERP (its reader's balances of the deferred revenue accounts,
all time: a balance, not a period's flow); accord's side is the sum of the schedules' entries
not recognized yet (``accord.revenue.book``). A difference is a reconciliation difference
like the others, for finance operations.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from accord.canonical.money import Money
from accord.ports.reconciliation import LedgerReader
from accord.revenue.book import deferred_accounts, remainders
from accord.store import Database


@dataclass(frozen=True)
class DeferredRevenueGap:
    legal_entity: str
    currency: str
    erp_balance: Money
    """credit balance of the deferred revenue accounts in the ERP"""
    unrecognized: Money
    """what accord's schedules have not recognized yet"""

    def describe(self) -> str:
        return (f"deferred revenue {self.legal_entity} {self.currency}: ERP balance "
                f"{self.erp_balance}, unrecognized schedules {self.unrecognized}")


def deferred_revenue_gaps(reader: LedgerReader, database: Database) -> list[DeferredRevenueGap]:
    """Every legal entity and currency whose ERP deferred revenue balance (credit) differs
    from the unrecognized remainder of its schedules."""
    with database.session() as session:
        remaining = remainders(session)
        accounts = frozenset(deferred_accounts(session))
    accounts |= reader.ledger_accounts().deferred_revenue
    if not accounts:
        return []
    balances = {(entity, currency): Money.of(-debit_less_credit, currency)
                for entity, currency, debit_less_credit in reader.account_balances(accounts)}
    gaps = []
    for key in sorted(set(balances) | set(remaining)):
        entity, currency = key
        erp = balances.get(key) or Money.of(Decimal(0), currency)
        ours = remaining.get(key) or Money.of(Decimal(0), currency)
        if erp != ours:
            gaps.append(DeferredRevenueGap(entity, currency, erp, ours))
    return gaps


__all__ = ["DeferredRevenueGap", "deferred_revenue_gaps"]
