"""Invoices and credit notes. Totals must add up, in one currency."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Self

from pydantic import Field, model_validator

from accord.canonical.base import DateRange, Entity, Frozen, NonEmptyStr, at_least, require_currency
from accord.canonical.catalog import Sku
from accord.canonical.ids import CanonicalId, EntityType
from accord.canonical.money import Amount, CurrencyCode, Money, money_sum

Rate = Annotated[Amount, Field(ge=0, le=100, description="percent")]
LineQuantity = Annotated[Amount, Field(ge=0)]


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    PAID = "paid"
    VOID = "void"
    UNCOLLECTIBLE = "uncollectible"


class InvoiceLine(Frozen):
    description: NonEmptyStr
    product_sku: Sku | None = None
    quantity: LineQuantity = Decimal(1)
    unit_amount: Money | None = None
    amount: Money
    service_period: DateRange | None = None


class TaxLine(Frozen):
    jurisdiction: NonEmptyStr
    rate: Rate
    taxable_amount: Money
    amount: Money
    tax_code: str | None = None


def _check_document(currency: str, lines: Sequence[InvoiceLine | CreditNoteLine],
                    tax_lines: Sequence[TaxLine], subtotal: Money, tax_total: Money) -> None:
    """Every amount in ``currency`` and exact; subtotal and tax total are the sums."""
    for index, line in enumerate(lines):
        require_currency(currency, **{f"lines.{index}.amount": line.amount})
        if not line.amount.is_exact:
            raise ValueError(f"lines.{index}.amount: more decimals than {currency} allows")
    for index, tax in enumerate(tax_lines):
        require_currency(currency, **{f"tax_lines.{index}.amount": tax.amount,
                                      f"tax_lines.{index}.taxable_amount": tax.taxable_amount})
    lines_sum = money_sum((line.amount for line in lines), currency)
    if lines_sum != subtotal:
        raise ValueError(f"subtotal: {subtotal} is not the sum of the lines ({lines_sum})")
    tax_sum = money_sum((tax.amount for tax in tax_lines), currency)
    if tax_sum != tax_total:
        raise ValueError(f"tax_total: {tax_total} is not the sum of the tax lines ({tax_sum})")


class Invoice(Entity):
    entity_type = EntityType.INVOICE

    number: str | None = Field(default=None, description="assigned when finalized")
    customer_id: CanonicalId
    subscription_id: CanonicalId | None = None
    legal_entity: NonEmptyStr
    currency: CurrencyCode
    status: InvoiceStatus
    lines: Annotated[tuple[InvoiceLine, ...], at_least(1)]
    tax_lines: tuple[TaxLine, ...] = ()
    subtotal: Money
    discount_total: Money | None = None
    tax_total: Money
    total: Money
    amount_paid: Money | None = None
    issue_date: date
    due_date: date | None = None
    service_period: DateRange | None = None
    po_number: str | None = None

    @model_validator(mode="after")
    def _totals(self) -> Self:
        require_currency(self.currency, subtotal=self.subtotal, tax_total=self.tax_total,
                         total=self.total, discount_total=self.discount_total,
                         amount_paid=self.amount_paid)
        _check_document(self.currency, self.lines, self.tax_lines, self.subtotal,
                        self.tax_total)
        discount = self.discount_total or Money.zero(self.currency)
        expected = self.subtotal - discount + self.tax_total
        if expected != self.total:
            raise ValueError(f"total: {self.total} is not subtotal - discounts + tax ({expected})")
        if self.status is not InvoiceStatus.DRAFT and not self.number:
            raise ValueError("number: required once the invoice is finalized")
        if self.due_date is not None and self.due_date < self.issue_date:
            raise ValueError("due_date: must not be before issue_date")
        return self

    @property
    def amount_due(self) -> Money:
        return self.total - (self.amount_paid or Money.zero(self.currency))


class CreditNoteReason(StrEnum):
    DUPLICATE = "duplicate"
    FRAUDULENT = "fraudulent"
    ORDER_CHANGE = "order_change"
    PRODUCT_UNSATISFACTORY = "product_unsatisfactory"
    OTHER = "other"


class CreditNoteStatus(StrEnum):
    ISSUED = "issued"
    VOID = "void"


class CreditNoteLine(Frozen):
    description: NonEmptyStr
    product_sku: Sku | None = None
    quantity: LineQuantity = Decimal(1)
    amount: Money


class CreditNote(Entity):
    entity_type = EntityType.CREDIT_NOTE

    number: NonEmptyStr
    invoice_id: CanonicalId
    customer_id: CanonicalId
    currency: CurrencyCode
    lines: Annotated[tuple[CreditNoteLine, ...], at_least(1)]
    tax_lines: tuple[TaxLine, ...] = ()
    subtotal: Money
    tax_total: Money
    total: Money
    reason: CreditNoteReason = CreditNoteReason.OTHER
    status: CreditNoteStatus = CreditNoteStatus.ISSUED
    issue_date: date

    @model_validator(mode="after")
    def _totals(self) -> Self:
        require_currency(self.currency, subtotal=self.subtotal, tax_total=self.tax_total,
                         total=self.total)
        _check_document(self.currency, self.lines, self.tax_lines, self.subtotal,
                        self.tax_total)
        if self.subtotal + self.tax_total != self.total:
            raise ValueError("total: must equal subtotal + tax_total")
        if self.total.is_negative():
            raise ValueError("total: a credit note total is positive; it reduces what is owed")
        return self


__all__ = [
    "CreditNote",
    "CreditNoteLine",
    "CreditNoteReason",
    "CreditNoteStatus",
    "Invoice",
    "InvoiceLine",
    "InvoiceStatus",
    "TaxLine",
]
