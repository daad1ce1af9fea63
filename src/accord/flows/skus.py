"""The shared SKU mapping: the one place product codes are translated between systems.

A deal's product code (Salesforce ``ProductCode``) is the canonical SKU; Stripe carries it in
the price's and subscription item's metadata, NetSuite knows it as one of the reference
data's item keys. An unknown SKU is a data-quality problem for master data.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from accord.canonical.catalog import ProductKind
from accord.errors import DataQualityError, Team

DEFAULT_SKUS = Path(__file__).parent / "skus.toml"


class SkuEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    netsuite_item: str
    kind: ProductKind
    revenue_category: str
    prices: dict[str, Decimal] = Field(default_factory=dict)
    """List price per currency (monthly for recurring items, per unit for usage)."""
    meter: str | None = None
    """Usage items: the event name of the Stripe billing meter their usage is reported to."""

    @model_validator(mode="after")
    def _usage_has_meter(self) -> SkuEntry:
        if self.kind is ProductKind.USAGE and not self.meter:
            raise ValueError("meter: a usage SKU names the billing meter it is billed from")
        return self


class SkuMapping(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    skus: dict[str, SkuEntry]

    def entry(self, sku: str | None, field: str = "product_sku") -> SkuEntry:
        found = self.skus.get(sku or "")
        if found is None:
            raise DataQualityError(field, f"unknown SKU {sku!r}: not in the SKU mapping "
                                   f"{self.version}", owner=Team.MASTER_DATA)
        return found

    def netsuite_item(self, sku: str | None, field: str = "product_sku") -> str:
        return self.entry(sku, field).netsuite_item


def load_skus(path: Path | None = None) -> SkuMapping:
    return SkuMapping.model_validate(tomllib.loads((path or DEFAULT_SKUS).read_text("utf-8")))


__all__ = ["DEFAULT_SKUS", "SkuEntry", "SkuMapping", "load_skus"]
