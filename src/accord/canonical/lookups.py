"""One invoice as each system shows it now, for the operator's invoice-status view. Statuses
here are each system's own words (what its users see), not compared with one another."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class BillingInvoiceView:
    """The billing system's invoice. ``customer_ref`` and ``subscription_ref`` are the
    billing system's ids; ``carried_id`` is accord's canonical id when the invoice carries it."""

    invoice_id: str
    status: str | None
    currency: str
    total: Decimal | None
    amount_paid: Decimal | None
    amount_remaining: Decimal | None
    customer_ref: str | None
    subscription_ref: str | None
    finalized_at: datetime | None
    paid_at: datetime | None
    carried_id: str | None


@dataclass(frozen=True)
class ErpInvoiceView:
    internal_id: str
    document_number: str | None
    status: str | None
    total: Decimal | None
    amount_remaining: Decimal | None


@dataclass(frozen=True)
class CrmBillingView:
    """What sales sees of billing in the CRM: the account's billing status and the
    subscription's status on its contract."""

    account_billing_status: str | None
    subscription_status: str | None


__all__ = ["BillingInvoiceView", "CrmBillingView", "ErpInvoiceView"]
