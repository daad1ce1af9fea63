"""The shared SKU mapping: the one place product codes are translated between systems.

A deal's product code (the CRM's) is the canonical SKU; billing carries it in the price's
and subscription item's metadata, the ERP knows it as one of its reference data's item keys
(``erp_item``). An unknown SKU is a data-quality problem for master data.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from accord.canonical.catalog import ProductKind
from accord.errors import DataQualityError, Team

DEFAULT_SKUS = Path(__file__).parent / "skus.toml"


class SkuEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    erp_item: str = Field(validation_alias=AliasChoices("erp_item", "netsuite_item"))
    """The ERP item key of the ERP connector's reference data (``netsuite_item`` in files
    written before keys were named by role)."""
    kind: ProductKind
    revenue_category: str
    prices: dict[str, Decimal] = Field(default_factory=dict)
    """List price per currency (monthly for recurring items, per unit for usage)."""
    meter: str | None = None
    """Usage items: the event name of the billing meter their usage is reported to."""
    deferred_revenue_account: str | None = None
    """GL account number the ERP books this SKU's invoiced revenue to until it is recognized
    (``docs/revenue.md``); without one, the revenue is income when invoiced."""
    revenue_account: str | None = None
    """GL account number the recognized revenue moves to (the recognition journal's credit);
    required with ``deferred_revenue_account``."""

    @model_validator(mode="after")
    def _usage_has_meter(self) -> SkuEntry:
        if self.kind is ProductKind.USAGE and not self.meter:
            raise ValueError("meter: a usage SKU names the billing meter it is billed from")
        if (self.deferred_revenue_account is None) != (self.revenue_account is None):
            raise ValueError("revenue_account: a SKU with a deferred revenue account names "
                             "the revenue account it is recognized to, and only then")
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

    def erp_item(self, sku: str | None, field: str = "product_sku") -> str:
        return self.entry(sku, field).erp_item


def load_skus(path: Path | None = None) -> SkuMapping:
    return SkuMapping.model_validate(tomllib.loads((path or DEFAULT_SKUS).read_text("utf-8")))


__all__ = ["DEFAULT_SKUS", "SkuEntry", "SkuMapping", "load_skus"]
