"""Products and their prices."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Self

from pydantic import Field, model_validator

from accord.canonical.base import Entity, Frozen, NonEmptyStr, require_currency
from accord.canonical.ids import CanonicalId, EntityType
from accord.canonical.money import CurrencyCode, Money

Sku = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")]


class ProductKind(StrEnum):
    RECURRING = "recurring"
    ONE_TIME = "one_time"
    USAGE = "usage"
    SERVICE = "service"


class Product(Entity):
    entity_type = EntityType.PRODUCT

    sku: Sku
    name: NonEmptyStr
    kind: ProductKind
    revenue_category: NonEmptyStr = Field(description="e.g. subscription, usage, services")
    description: str | None = None
    active: bool = True


class IntervalUnit(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


class Recurrence(Frozen):
    interval: IntervalUnit
    count: int = Field(default=1, ge=1, le=36)


class TiersMode(StrEnum):
    GRADUATED = "graduated"
    VOLUME = "volume"


class PriceTier(Frozen):
    up_to: int | None = Field(description="inclusive upper bound; None for the last tier", ge=1)
    unit_amount: Money
    flat_amount: Money | None = None


class Price(Entity):
    """What a product costs in one currency. Either ``unit_amount`` or ``tiers``."""

    entity_type = EntityType.PRICE

    product_id: CanonicalId
    currency: CurrencyCode
    unit_amount: Money | None = None
    recurrence: Recurrence | None = Field(default=None, description="None for one-time prices")
    metered: bool = Field(default=False, description="billed on reported usage")
    tiers_mode: TiersMode | None = None
    tiers: tuple[PriceTier, ...] = ()
    active: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.unit_amount is None and not self.tiers:
            raise ValueError("unit_amount: required when the price has no tiers")
        if self.unit_amount is not None and self.tiers:
            raise ValueError("tiers: a price has either a unit_amount or tiers, not both")
        require_currency(self.currency, unit_amount=self.unit_amount)
        if self.unit_amount is not None and self.unit_amount.is_negative():
            raise ValueError("unit_amount: must not be negative")
        if self.tiers:
            if self.tiers_mode is None:
                raise ValueError("tiers_mode: required when tiers are given")
            previous = 0
            for index, tier in enumerate(self.tiers):
                require_currency(self.currency, **{f"tiers.{index}.unit_amount": tier.unit_amount,
                                                   f"tiers.{index}.flat_amount": tier.flat_amount})
                last = index == len(self.tiers) - 1
                if tier.up_to is None and not last:
                    raise ValueError(f"tiers.{index}.up_to: only the last tier may be unbounded")
                if tier.up_to is not None:
                    if last:
                        raise ValueError(f"tiers.{index}.up_to: the last tier must be unbounded")
                    if tier.up_to <= previous:
                        raise ValueError(f"tiers.{index}.up_to: tiers must ascend")
                    previous = tier.up_to
        if self.metered and self.recurrence is None:
            raise ValueError("recurrence: a metered price must recur")
        return self


__all__ = [
    "IntervalUnit",
    "Price",
    "PriceTier",
    "Product",
    "ProductKind",
    "Recurrence",
    "Sku",
    "TiersMode",
]
