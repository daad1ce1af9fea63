"""The canonical catalog of a SKU: its product and its list prices, with ids derived from
the SKU (and a price's currency, amount and recurrence), so every system is handed the same
ids whoever publishes first."""

from __future__ import annotations

from decimal import Decimal

from accord.canonical.catalog import IntervalUnit, Price, Product, ProductKind, Recurrence
from accord.canonical.contract import ContractLine
from accord.canonical.ids import EntityType, derived_id
from accord.canonical.money import Money
from accord.flows.skus import SkuEntry


def product_for(sku: str, entry: SkuEntry) -> Product:
    return Product(id=derived_id(EntityType.PRODUCT, "sku", sku), sku=sku, name=entry.name,
                   kind=entry.kind, revenue_category=entry.revenue_category)


def price_for(product: Product, unit: Money) -> Price:
    """A monthly price for recurring items, a metered monthly price (billed in arrears from
    the SKU's meter) for usage items, else a one-time price."""
    recurring = product.kind in (ProductKind.RECURRING, ProductKind.USAGE)
    metered = product.kind is ProductKind.USAGE
    parts = [product.sku, unit.currency, str(unit.amount), "month" if recurring else "once"]
    return Price(id=derived_id(EntityType.PRICE, *parts, *(["metered"] if metered else [])),
                 product_id=product.id, currency=unit.currency, unit_amount=unit,
                 recurrence=Recurrence(interval=IntervalUnit.MONTH) if recurring else None,
                 metered=metered)


def list_prices(product: Product, entry: SkuEntry) -> list[Price]:
    return [price_for(product, Money.of(amount, currency))
            for currency, amount in sorted(entry.prices.items())]


def unit_price(line: ContractLine) -> Money:
    """The price per unit after the line's discount."""
    net = line.unit_price * (1 - line.discount_percent / Decimal(100))
    return net.quantized()


__all__ = ["list_prices", "price_for", "product_for", "unit_price"]
