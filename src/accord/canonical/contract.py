"""Contracts (orders): what a customer agreed to buy, from an approved deal."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Self

from pydantic import Field, model_validator

from accord.canonical.base import Entity, Frozen, NonEmptyStr, at_least, require_currency
from accord.canonical.catalog import Sku
from accord.canonical.ids import CanonicalId, EntityType
from accord.canonical.money import Amount, CurrencyCode, Money, money_sum

Quantity = Annotated[Amount, Field(gt=0, description="a positive quantity")]
Percent = Annotated[Amount, Field(ge=0, le=100)]


class ContractStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    ACTIVE = "active"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class ContractLine(Frozen):
    product_sku: Sku
    description: str | None = None
    quantity: Quantity
    unit_price: Money
    discount_percent: Percent = Decimal(0)
    price_id: CanonicalId | None = None

    @property
    def amount(self) -> Money:
        gross = self.unit_price * self.quantity
        return (gross - gross * (self.discount_percent / 100)).quantized()


class Contract(Entity):
    """An order from an approved (closed-won) deal: lines, term, legal entity."""

    entity_type = EntityType.CONTRACT

    customer_id: CanonicalId
    legal_entity: NonEmptyStr = Field(description="selling legal entity / ERP subsidiary code")
    currency: CurrencyCode
    lines: Annotated[tuple[ContractLine, ...], at_least(1)]
    term_months: int = Field(ge=1, le=120)
    start_date: date
    end_date: date
    po_number: str | None = None
    deal_id: str | None = Field(default=None, description="the CRM deal (opportunity) id")
    status: ContractStatus = ContractStatus.APPROVED

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.end_date < self.start_date:
            raise ValueError("end_date: must not be before start_date")
        for index, line in enumerate(self.lines):
            require_currency(self.currency, **{f"lines.{index}.unit_price": line.unit_price})
        return self

    @property
    def total(self) -> Money:
        return money_sum((line.amount for line in self.lines), self.currency)


__all__ = ["Contract", "ContractLine", "ContractStatus", "Percent", "Quantity"]
