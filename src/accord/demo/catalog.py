"""The fictional company's catalog and legal entities."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from accord.canonical.catalog import ProductKind


@dataclass(frozen=True)
class LegalEntity:
    code: str
    name: str
    country: str
    currency: str
    tax_rate: Decimal
    tax_jurisdiction: str


@dataclass(frozen=True)
class CatalogItem:
    sku: str
    name: str
    kind: ProductKind
    revenue_category: str
    prices: dict[str, Decimal]
    """Unit price per currency (monthly for recurring items)."""
    included_units: int = 0
    """For usage items: units included before overage is billed."""


LEGAL_ENTITIES = (
    LegalEntity("US01", "Brightwave Software Inc.", "US", "USD", Decimal("0"), "US"),
    LegalEntity("DE01", "Brightwave Software GmbH", "DE", "EUR", Decimal("19"), "DE"),
)

CATALOG = (
    CatalogItem("BW-PLAT-SEAT", "Platform seat", ProductKind.RECURRING, "subscription",
                {"USD": Decimal("49.00"), "EUR": Decimal("45.00")}),
    CatalogItem("BW-ANALYTICS", "Analytics add-on", ProductKind.RECURRING, "subscription",
                {"USD": Decimal("299.00"), "EUR": Decimal("279.00")}),
    CatalogItem("BW-API-CALLS", "API calls (per 1,000 over plan)", ProductKind.USAGE, "usage",
                {"USD": Decimal("0.80"), "EUR": Decimal("0.75")}, included_units=100),
    CatalogItem("BW-ONBOARD", "Onboarding package", ProductKind.SERVICE,
                "professional_services", {"USD": Decimal("1500.00"), "EUR": Decimal("1400.00")}),
)

CATALOG_BY_SKU = {item.sku: item for item in CATALOG}
ENTITY_BY_CODE = {entity.code: entity for entity in LEGAL_ENTITIES}

__all__ = ["CATALOG", "CATALOG_BY_SKU", "ENTITY_BY_CODE", "LEGAL_ENTITIES", "CatalogItem",
           "LegalEntity"]
