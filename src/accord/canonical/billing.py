"""Invoices and credit notes. Totals must add up, in one currency.

invoice.v2 gives each line its tax and how its revenue is recognised: a line's
``tax_amount`` is its share of the invoice's ``tax_total`` (the lines' shares sum to it),
``tax_code`` the tax it was charged under, and ``revenue_recognition`` is ratable over the
line's service period, or at a point in time for a line without one. A v1 invoice (lines
without them) is read through :mod:`accord.canonical.upcasting`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Self

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


class RevenueRecognition(StrEnum):
    RATABLE = "ratable"
    """Day by day over the line's service period."""
    POINT_IN_TIME = "point_in_time"
    """At once, on the invoice's issue date (a line without a service period)."""

    @classmethod
    def for_period(cls, service_period: object | None) -> RevenueRecognition:
        """The recognition a line with ``service_period`` (or without one: None) has."""
        return cls.POINT_IN_TIME if service_period is None else cls.RATABLE


class InvoiceLine(Frozen):
    description: NonEmptyStr
    product_sku: Sku | None = None
    quantity: LineQuantity = Decimal(1)
    unit_amount: Money | None = None
    amount: Money
    service_period: DateRange | None = None
    tax_amount: Money = Field(description="the line's share of the invoice's tax_total")
    tax_code: str | None = Field(
        default=None, description="the code of the tax the line was charged under (the "
        "tax_code of the tax line it adds to); none when untaxed or under several")
    revenue_recognition: RevenueRecognition = Field(
        description="ratable over the service period, or point in time without one")

    @model_validator(mode="before")
    @classmethod
    def _derive_recognition(cls, data: Any) -> Any:
        """Every v2 line carries it; a producer that leaves it out gets the one its service
        period implies."""
        if isinstance(data, dict) and data.get("revenue_recognition") is None:
            return {**data, "revenue_recognition":
                    RevenueRecognition.for_period(data.get("service_period"))}
        return data

    @model_validator(mode="after")
    def _recognition_fits_period(self) -> Self:
        expected = RevenueRecognition.for_period(self.service_period)
        if self.revenue_recognition is not expected:
            has = "has a service_period" if self.service_period else "has no service_period"
            raise ValueError(f"revenue_recognition: {self.revenue_recognition.value} does not "
                             f"fit a line that {has} (it is {expected.value})")
        return self


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


def _check_line_taxes(currency: str, lines: Sequence[InvoiceLine], tax_total: Money) -> None:
    """Each line's tax in ``currency`` and exact; together they are the tax total."""
    for index, line in enumerate(lines):
        require_currency(currency, **{f"lines.{index}.tax_amount": line.tax_amount})
        if not line.tax_amount.is_exact:
            raise ValueError(f"lines.{index}.tax_amount: more decimals than {currency} allows")
    lines_tax = money_sum((line.tax_amount for line in lines), currency)
    if lines_tax != tax_total:
        raise ValueError(f"lines.tax_amount: the lines' tax amounts sum to {lines_tax}, "
                         f"not the tax_total {tax_total}")


class Invoice(Entity):
    entity_type = EntityType.INVOICE
    schema_version = "v2"

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
        _check_line_taxes(self.currency, self.lines, self.tax_total)
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
    "RevenueRecognition",
    "TaxLine",
]
