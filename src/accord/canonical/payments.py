"""Payments received, how they are applied to invoices, and refunds."""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import AwareDatetime, Field, model_validator

from accord.canonical.base import Entity, Frozen, NonEmptyStr, require_currency
from accord.canonical.ids import CanonicalId, EntityType
from accord.canonical.money import Money, money_sum


class PaymentMethodKind(StrEnum):
    CARD = "card"
    ACH_DEBIT = "ach_debit"
    SEPA_DEBIT = "sepa_debit"
    BANK_TRANSFER = "bank_transfer"
    CHECK = "check"
    OTHER = "other"


class PaymentStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"


class Allocation(Frozen):
    """The part of a payment applied to one invoice."""

    invoice_id: CanonicalId
    amount: Money


class Payment(Entity):
    entity_type = EntityType.PAYMENT

    customer_id: CanonicalId
    amount: Money
    fee: Money | None = Field(default=None, description="processor fee, same currency")
    method: PaymentMethodKind = PaymentMethodKind.CARD
    status: PaymentStatus
    allocations: tuple[Allocation, ...] = ()
    received_at: AwareDatetime
    failure_code: str | None = None
    failure_message: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        currency = self.amount.currency
        if not self.amount.amount > 0:
            raise ValueError("amount: must be positive")
        require_currency(currency, fee=self.fee)
        if self.fee is not None and (self.fee.is_negative() or self.fee > self.amount):
            raise ValueError("fee: must be between zero and the payment amount")
        for index, allocation in enumerate(self.allocations):
            require_currency(currency, **{f"allocations.{index}.amount": allocation.amount})
            if not allocation.amount.amount > 0:
                raise ValueError(f"allocations.{index}.amount: must be positive")
        applied = money_sum((a.amount for a in self.allocations), currency)
        if applied > self.amount:
            raise ValueError(f"allocations: {applied} applied exceeds the payment {self.amount}")
        if self.status is PaymentStatus.FAILED and not self.failure_code:
            raise ValueError("failure_code: required when status is failed")
        return self

    @property
    def net(self) -> Money:
        return self.amount - (self.fee or Money.zero(self.amount.currency))

    @property
    def unapplied(self) -> Money:
        return self.amount - money_sum((a.amount for a in self.allocations), self.amount.currency)


class ProcessorFee(Frozen):
    """What the payment processor kept of a payment, as its balance record says."""

    reference: NonEmptyStr = Field(description="the processor's record of the fee")
    amount: Money
    payment_reference: NonEmptyStr = Field(description="the processor's id of the payment")


class RefundStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Refund(Entity):
    entity_type = EntityType.REFUND

    payment_id: CanonicalId
    customer_id: CanonicalId
    amount: Money
    reason: NonEmptyStr = "requested_by_customer"
    status: RefundStatus
    refunded_at: AwareDatetime
    credit_note_id: CanonicalId | None = None

    @model_validator(mode="after")
    def _positive(self) -> Self:
        if not self.amount.amount > 0:
            raise ValueError("amount: must be positive")
        return self


__all__ = [
    "Allocation",
    "Payment",
    "PaymentMethodKind",
    "PaymentStatus",
    "ProcessorFee",
    "Refund",
    "RefundStatus",
]
