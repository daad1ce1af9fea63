"""What a system reports to reconciliation, in accord's words: its records of one entity as
:class:`RecordView` (keyed by a business key both sides share), and each document's
:class:`Contribution` to the control totals. Every connector's reconciliation reader speaks
this vocabulary; reconciliation compares without knowing whose records they are."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from accord.canonical.ledger import AccountType
from accord.canonical.money import Money


class Entity(StrEnum):
    """What reconciliation compares."""

    CUSTOMER = "customer"
    INVOICE = "invoice"
    PAYMENT = "payment"
    REFUND = "refund"
    SUBSCRIPTION = "subscription"


@dataclass(frozen=True)
class RecordView:
    """One record as reconciliation compares it. ``status`` is accord's word for it (an
    invoice ``paid`` or ``open``, a subscription's canonical status), never the vendor's."""

    key: str
    system_id: str
    amount: Money | None = None
    status: str | None = None
    currency: str | None = None  # for records without an amount (customers)
    refs: tuple[str, ...] = ()  # related records (a source's deals, paid invoice, ...)


class Measure(StrEnum):
    INVOICED = "invoiced"
    TAX = "tax"
    CREDITS = "credits"
    CASH = "cash"
    FEES = "fees"
    OPEN_RECEIVABLES = "open_receivables"


@dataclass(frozen=True)
class Contribution:
    """One document's contribution to one measure."""

    system: str
    subsidiary: str
    period: str
    measure: Measure
    amount: Money


@dataclass(frozen=True)
class LedgerLine:
    """One line of a journal in the ERP's general ledger, in the transaction currency."""

    transaction: str
    external_id: str | None
    account: str  # GL account number
    debit: Decimal
    credit: Decimal
    customer: str | None
    currency: str
    subsidiary: str
    tran_date: date


@dataclass(frozen=True)
class ReceivableRow:
    """One document's effect on a customer's receivables: on the control account as the GL
    builds it, and on the subledger of open items."""

    customer: str
    currency: str
    control_account: Decimal
    subledger: Decimal


@dataclass(frozen=True)
class LedgerAccounts:
    """The ERP's chart (account number -> type) and the accounts the ledger check reads:
    where cash lands, tax payable, and processor fees."""

    types: Mapping[str, AccountType]
    cash: frozenset[str]
    tax_payable: str
    processor_fees: str
    deferred_revenue: frozenset[str] = frozenset()
    """Where invoiced revenue waits until it is recognized (billed, like income)."""


DEFAULT_SUBSIDIARIES = {"USD": "US01", "EUR": "DE01", "JPY": "JP01"}
"""Subsidiary by currency when a document does not say (the bundled reference data)."""

__all__ = ["DEFAULT_SUBSIDIARIES", "Contribution", "Entity", "LedgerAccounts", "LedgerLine",
           "Measure", "ReceivableRow", "RecordView"]
