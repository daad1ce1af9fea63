"""What the roles exchange about a deal and its billing: a won deal as the CRM holds it, the
links and status accord writes back, a subscription as billing holds it, the tax a legal
entity charges. Vendor vocabularies (a CRM's picklist values, a billing system's statuses)
are each connector's to translate into these."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from accord.canonical.contract import Contract
from accord.canonical.party import Customer
from accord.canonical.subscription import SubscriptionStatus


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DealType(StrEnum):
    """What a won deal does: new business, or a change to the customer's subscription."""

    NEW = "new"
    UPGRADE = "upgrade"
    """more seats, an add-on: the live subscription's items change, prorated"""
    RENEWAL = "renewal"
    """the live subscription's term extends"""


class BillingStatus(StrEnum):
    """An account's or deal's billing state, as accord writes it back to the CRM."""

    PENDING = "pending"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    CANCELED = "canceled"

    @classmethod
    def of(cls, status: SubscriptionStatus) -> BillingStatus:
        return {SubscriptionStatus.ACTIVE: cls.ACTIVE, SubscriptionStatus.TRIALING: cls.ACTIVE,
                SubscriptionStatus.PAST_DUE: cls.PAST_DUE, SubscriptionStatus.UNPAID: cls.PAST_DUE,
                SubscriptionStatus.INCOMPLETE: cls.PAST_DUE,
                SubscriptionStatus.CANCELED: cls.CANCELED}.get(status, cls.PENDING)


class Deal(Frozen):
    """A won deal as the CRM holds it: who buys what, on which terms."""

    deal_id: str = Field(description="the CRM's id of the deal")
    account_id: str = Field(description="the CRM's id of the buying account")
    deal_type: DealType
    customer: Customer
    """The buyer; its id is the accord id written on the account, else derived from it."""
    contract: Contract
    """The order; its id is derived from the deal."""
    written_subscription: str | None = None
    """The billing subscription id accord wrote back on the deal earlier, if any."""
    written_contract: str | None = None
    """The accord contract id accord wrote back on the deal earlier, if any."""
    fields: dict[str, str] = Field(default_factory=dict)
    """Where each canonical fact came from in the CRM (``tax_id`` -> the CRM field), so a
    problem with it names the field a person fixes."""

    def field(self, name: str) -> str:
        return self.fields.get(name, name)


class CustomerLinks(Frozen):
    """What accord writes back on a CRM account."""

    account_id: str
    status: BillingStatus | None = None
    accord_id: str | None = None
    billing_customer_id: str | None = None
    erp_customer_id: str | None = None


class DealLinks(Frozen):
    """What accord writes back on a CRM deal."""

    deal_id: str
    status: BillingStatus | None = None
    accord_id: str | None = None
    billing_subscription_id: str | None = None


class SubscriptionRef(Frozen):
    """A subscription as billing created or changed it."""

    id: str
    status: SubscriptionStatus


class TaxRate(Frozen):
    """The tax a legal entity charges on its invoices (enrichment of a deal)."""

    code: str = Field(description="the legal entity's code")
    country: str
    jurisdiction: str
    percentage: Decimal
    inclusive: bool = False

    @property
    def key(self) -> str:
        """Stable across runs: a billing system finds the rate it created for it by this."""
        return f"{self.code}-{self.jurisdiction}-{self.percentage}"


@dataclass(frozen=True)
class AccountRead:
    """A CRM account as it is now: the customer it describes, and the record as read (to
    recognise accord's own write-backs coming back)."""

    customer: Customer
    record: Mapping[str, Any]


@dataclass(frozen=True)
class InvoiceRefs:
    """The billing system's ids a billing invoice names."""

    customer: str
    subscription: str | None
    legal_entity: str | None
    """The legal entity the billing record carries, when the customer's is not known yet."""


@dataclass(frozen=True)
class PaymentRead:
    """What a billing payment names and how it went."""

    customer: str
    """The billing system's id of the paying customer."""
    payment: str
    """The billing system's id of the payment (the charge)."""
    failed_attempts_before: int
    """Attempts that failed before this one (dunning recovered when above zero)."""


@dataclass(frozen=True)
class MeteredItem:
    """A live subscription's item that bills a usage SKU from a meter."""

    subscription: str
    item: str


@dataclass(frozen=True)
class ErpPosting:
    """One record's result in a batch posting: the ERP's id, or the error for that record."""

    canonical_id: str
    erp_id: str | None = None
    error: Exception | None = None


__all__ = ["AccountRead", "BillingStatus", "CustomerLinks", "Deal", "DealLinks", "DealType",
           "ErpPosting", "InvoiceRefs", "MeteredItem", "PaymentRead", "SubscriptionRef",
           "TaxRate"]
