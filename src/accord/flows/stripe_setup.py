"""Stripe-side building blocks of the closed-won flow: customer (with test-mode extras),
catalog objects on demand, tax rates, and the subscription request.

Every create carries ``Idempotency-Key: accord:<canonical id>:<action>``; products and prices
are remembered in the xref, tax rates by a metadata key, so a later flow reuses them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError

from accord.canonical.catalog import IntervalUnit, Price, Product, ProductKind, Recurrence
from accord.canonical.contract import Contract, ContractLine
from accord.canonical.ids import EntityType
from accord.canonical.money import Money
from accord.canonical.party import Customer
from accord.connectors.stripe import mapping
from accord.connectors.stripe.client import StripeClient, idempotency_key
from accord.engine.context import current
from accord.flows.entities import LegalEntity
from accord.flows.ids import derived_id
from accord.flows.skus import SkuEntry
from accord.registry.xref import XrefConflictError, Xrefs


def _remembered(canonical_id: str) -> str | None:
    with current().database.session() as session:
        return Xrefs(session).system_id(canonical_id, "stripe")


def _remember(canonical_id: str, entity: EntityType, stripe_id: str) -> str:
    """Link and return the Stripe id; when another flow linked one a moment earlier (two
    concurrent creates), that one wins and is returned."""
    try:
        with current().database.session() as session:
            Xrefs(session).link(canonical_id, entity, "stripe", stripe_id)
    except (IntegrityError, XrefConflictError):
        pass
    return _remembered(canonical_id) or stripe_id


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


def ensure_meter(client: StripeClient, event_name: str, display_name: str) -> str:
    """The Stripe billing meter of ``event_name`` (created once: summing ``value`` per
    customer, the customer named by ``stripe_customer_id``)."""
    service: Any = client.v1.billing.meters
    listed = client.call(lambda: service.list(params={"limit": 100}))
    for meter in listed.data:
        if meter.event_name == event_name:
            return str(meter.id)
    params = {"display_name": display_name, "event_name": event_name,
              "default_aggregation": {"formula": "sum"},
              "customer_mapping": {"type": "by_id",
                                   "event_payload_key": "stripe_customer_id"},
              "value_settings": {"event_payload_key": "value"}}
    options = {"idempotency_key": idempotency_key(f"meter-{event_name}", "create")}
    return str(client.call(lambda: service.create(params=params, options=options))["id"])


def meter_for(client: StripeClient, entry: SkuEntry) -> str | None:
    """The meter a usage SKU's price bills from (None for other kinds)."""
    if entry.kind is not ProductKind.USAGE or not entry.meter:
        return None
    return ensure_meter(client, entry.meter, entry.name)


def ensure_product(client: StripeClient, product: Product) -> str:
    known = _remembered(product.id)
    if known:
        return known
    created = client.create_product(product)
    return _remember(product.id, EntityType.PRODUCT, str(created["id"]))


def ensure_price(client: StripeClient, price: Price, stripe_product_id: str, *,
                 meter: str | None = None) -> str:
    """``meter``: the billing meter a metered price bills from."""
    known = _remembered(price.id)
    if known:
        return known
    if meter is None:
        created = client.create_price(price, stripe_product_id)
    else:
        params = mapping.price_params(price, stripe_product_id)
        params["recurring"]["meter"] = meter
        service = client.v1.prices
        options = {"idempotency_key": idempotency_key(price.id, "create")}
        created = client.call(lambda: service.create(params=params, options=options))
    return _remember(price.id, EntityType.PRICE, str(created["id"]))


def tax_rate_key(code: str, entity: LegalEntity) -> str:
    return f"{code}-{entity.tax_jurisdiction}-{entity.tax_rate}"


def ensure_tax_rate(client: StripeClient, code: str, entity: LegalEntity) -> str | None:
    """The Stripe tax rate a legal entity charges (None when it charges no tax)."""
    if entity.tax_rate == 0:
        return None
    key = tax_rate_key(code, entity)
    service = client.v1.tax_rates
    listed = client.call(lambda: service.list(params={"active": True, "limit": 100}))
    for rate in (item.to_dict() for item in listed.data):
        if (rate.get("metadata") or {}).get("accord_key") == key:
            return str(rate["id"])
    params = {"display_name": "VAT" if entity.country != "US" else "Sales tax",
              "percentage": str(entity.tax_rate), "inclusive": False,
              "country": entity.country, "jurisdiction": entity.tax_jurisdiction,
              "metadata": {"accord_key": key}}
    options = {"idempotency_key": idempotency_key(f"taxrate-{key}", "create")}
    return str(client.call(lambda: service.create(params=params, options=options))["id"])


def customer_params(customer: Customer, *, payment_method: str | None,
                    test_clock: str | None) -> dict[str, Any]:
    params = mapping.customer_params(customer)
    if payment_method:
        params["payment_method"] = payment_method
        params["invoice_settings"] = {"default_payment_method": payment_method}
    if test_clock:
        params["test_clock"] = test_clock
    return params


def create_test_clock(client: StripeClient, customer_id: str, start: datetime) -> str:
    service = client.v1.test_helpers.test_clocks
    params = {"frozen_time": int(start.timestamp()), "name": customer_id}
    options = {"idempotency_key": idempotency_key(customer_id, "test-clock")}
    return str(client.call(lambda: service.create(params=params, options=options))["id"])


def create_customer(client: StripeClient, customer: Customer, *, payment_method: str | None,
                    test_clock: str | None) -> str:
    params = customer_params(customer, payment_method=payment_method, test_clock=test_clock)
    service = client.v1.customers
    options = {"idempotency_key": idempotency_key(customer.id, "create")}
    return str(client.call(lambda: service.create(params=params, options=options))["id"])


def start_of(contract: Contract) -> datetime:
    return datetime.combine(contract.start_date, time(), UTC)


def unit_price(line: ContractLine) -> Money:
    """The price per unit after the line's discount."""
    net = line.unit_price * (1 - line.discount_percent / Decimal(100))
    return net.quantized()


def subscription_params(contract: Contract, subscription_id: str, *, stripe_customer: str,
                        lines: Sequence[tuple[ContractLine, SkuEntry, str]],
                        tax_rate: str | None, opportunity_id: str,
                        charge_automatically: bool) -> dict[str, Any]:
    """``lines``: each contract line with its SKU entry and Stripe price id. Recurring and
    usage lines become subscription items; one-time and service lines are added to the
    first invoice. A customer without a card on file is invoiced (net 30)."""
    items: list[dict[str, Any]] = []
    extras: list[dict[str, Any]] = []
    for line, entry, price in lines:
        quantity = int(line.quantity)
        if entry.kind is ProductKind.USAGE:  # metered: billed from the meter, no quantity
            items.append({"price": price, "metadata": {"sku": line.product_sku}})
        elif entry.kind is ProductKind.RECURRING:
            items.append({"price": price, "quantity": quantity,
                          "metadata": {"sku": line.product_sku}})
        else:
            extras.append({"price": price, "quantity": quantity})
    params: dict[str, Any] = {
        "customer": stripe_customer, "items": items,
        "metadata": {mapping.ACCORD_ID: subscription_id, "contract_id": contract.id,
                     "opportunity_id": opportunity_id, "legal_entity": contract.legal_entity},
    }
    if extras:
        params["add_invoice_items"] = extras
    if not charge_automatically:
        params["collection_method"] = "send_invoice"
        params["days_until_due"] = 30
    if tax_rate:
        params["default_tax_rates"] = [tax_rate]
    if contract.po_number:
        params["metadata"]["po_number"] = contract.po_number
    return params


def create_subscription(client: StripeClient, subscription_id: str,
                        params: dict[str, Any]) -> dict[str, Any]:
    service = client.v1.subscriptions
    options = {"idempotency_key": idempotency_key(subscription_id, "create")}
    created: dict[str, Any] = client.call(
        lambda: service.create(params=params, options=options)).to_dict()
    return created
