"""NetSuite's transactions as reconciliation reads them: one header per document, amounts in
the transaction currency."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from accord.canonical.money import Money
from accord.canonical.period import period_of

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
    line_accounts: tuple[tuple[str, Decimal], ...] = ()
    """Invoices and credit memos: the part of the subtotal whose lines name their own GL
    account (deferred revenue), per account number; the rest is the items' income."""

    @property
    def item_income(self) -> Decimal:
        return (self.subtotal or ZERO) - sum((amount for _a, amount in self.line_accounts),
                                             ZERO)

    @property
    def period(self) -> str:
        return period_of(self.tran_date)

    def money(self, amount: Decimal) -> Money:
        return Money.of(amount, self.currency)


__all__ = ["ZERO", "ErpDocument", "TranType"]
