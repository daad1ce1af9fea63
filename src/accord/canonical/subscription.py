"""Subscriptions, their amendments, and metered usage."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Self

from pydantic import AwareDatetime, Field, model_validator

from accord.canonical.base import Entity, Frozen, NonEmptyStr, Period, at_least, require_currency
from accord.canonical.catalog import Sku
from accord.canonical.ids import CanonicalId, EntityType
from accord.canonical.money import Amount, CurrencyCode, Money

NonNegativeQuantity = Annotated[Amount, Field(ge=0, description="a quantity, zero or more")]


class SubscriptionStatus(StrEnum):
    INCOMPLETE = "incomplete"
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    UNPAID = "unpaid"
    PAUSED = "paused"
    CANCELED = "canceled"


class SubscriptionItem(Frozen):
    product_sku: Sku
    price_id: CanonicalId | None = None
    quantity: NonNegativeQuantity
    unit_amount: Money | None = Field(default=None, description="None for tiered or metered")


class AmendmentKind(StrEnum):
    QUANTITY_CHANGE = "quantity_change"
    PRICE_CHANGE = "price_change"
    ADD_ITEM = "add_item"
    REMOVE_ITEM = "remove_item"
    RENEWAL = "renewal"
    CANCELLATION = "cancellation"


class Amendment(Frozen):
    kind: AmendmentKind
    effective_at: AwareDatetime
    product_sku: Sku | None = None
    quantity: NonNegativeQuantity | None = None
    description: str | None = None


class Subscription(Entity):
    entity_type = EntityType.SUBSCRIPTION

    customer_id: CanonicalId
    contract_id: CanonicalId | None = None
    currency: CurrencyCode
    items: Annotated[tuple[SubscriptionItem, ...], at_least(1)]
    status: SubscriptionStatus
    current_period: Period | None = None
    started_at: AwareDatetime | None = None
    canceled_at: AwareDatetime | None = None
    amendments: tuple[Amendment, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        for index, item in enumerate(self.items):
            require_currency(self.currency, **{f"items.{index}.unit_amount": item.unit_amount})
        if self.status is SubscriptionStatus.CANCELED and self.canceled_at is None:
            raise ValueError("canceled_at: required when status is canceled")
        return self


class UsageRecord(Entity):
    """Metered usage reported against a subscription item."""

    entity_type = EntityType.USAGE_RECORD

    subscription_id: CanonicalId
    product_sku: Sku
    quantity: NonNegativeQuantity
    occurred_at: AwareDatetime
    source: NonEmptyStr = Field(default="api", description="where the usage was measured")


__all__ = [
    "Amendment",
    "AmendmentKind",
    "NonNegativeQuantity",
    "Subscription",
    "SubscriptionItem",
    "SubscriptionStatus",
    "UsageRecord",
]
