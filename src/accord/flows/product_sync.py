"""Product master sync: ERP items -> canonical products -> billing and the CRM.

The ERP owns products (ownership policy). For every SKU of the shared SKU mapping the sync
checks that its ERP item exists and is active (else an exception for master data), builds
the canonical product and its list prices, and publishes them to every configured billing
system (created once, remembered in the identity registry) and CRM (upserted on accord's
ids). Running it again changes nothing.
"""

from __future__ import annotations

from typing import Any

from accord.canonical.catalog import Price, Product, ProductKind
from accord.canonical.ids import EntityType
from accord.canonical.roles import Role
from accord.canonical.upcasting import load
from accord.engine import FlowInput, StepCall, flow, step
from accord.flows.catalog import list_prices, product_for
from accord.flows.keys import Key
from accord.flows.links import link, lookup
from accord.flows.systems import systems

FLOW = "product_master_sync"


@step(Role.ERP, "read_item", entity=Key.SKU)
def read_item(_call: StepCall, erp: str, sku: str) -> dict[str, Any]:
    """The SKU's ERP item, checked to exist and be active; the canonical product."""
    found = systems()
    entry = found.skus.entry(sku)
    item = found.erp(erp).check_item(entry.erp_item, sku=sku)
    return {"product": product_for(sku, entry).model_dump(mode="json"), "erp_item": item}


def prices_of(product: Product) -> list[Price]:
    return list_prices(product, systems().skus.entry(product.sku))


@step(Role.BILLING, "publish_product", entity=Key.SKU)
def publish_to_billing(_call: StepCall, billing: str, product: dict[str, Any],
                       known: dict[str, str]) -> dict[str, str]:
    """The product and its prices in billing; ``known``: those the registry already has."""
    found = systems()
    adapter = found.billing(billing)
    model = load(Product, product)
    billing_product = known.get(model.id) or adapter.ensure_product(model)
    published = {model.id: billing_product}
    entry = found.skus.entry(model.sku)
    meter = (adapter.ensure_meter(entry.meter, entry.name)
             if entry.kind is ProductKind.USAGE and entry.meter else None)
    for price in prices_of(model):
        published[price.id] = known.get(price.id) or adapter.ensure_price(
            price, billing_product, meter=meter)
    return published


@step(Role.CRM, "publish_product", entity=Key.SKU)
def publish_to_crm(_call: StepCall, crm: str, product: dict[str, Any]) -> dict[str, str]:
    model = load(Product, product)
    return systems().crm(crm).publish_product(model, prices_of(model))


def _entity(canonical_id: str, product_id: str) -> str:
    return (EntityType.PRODUCT if canonical_id == product_id else EntityType.PRICE).value


@flow(FLOW)
def product_master_sync(run: FlowInput) -> dict[str, int]:
    """Publish every SKU of the mapping (or ``payload["skus"]``)."""
    found = systems()
    skus = list(run.payload.get("skus") or sorted(found.skus.skus))
    erp = found.default(Role.ERP)
    published = 0
    for sku in skus:
        read = read_item(erp, sku)
        product = read["product"]
        ids = [product["id"], *(p.id for p in prices_of(load(Product, product)))]
        for billing in found.instances(Role.BILLING):
            known = {canonical: system_id for canonical in ids
                     if (system_id := lookup(canonical, billing)) is not None}
            billed = publish_to_billing(billing, product, known)
            for canonical_id, system_id in billed.items():
                if canonical_id not in known:
                    link(canonical_id, _entity(canonical_id, product["id"]), billing,
                         system_id)
            published += len(billed)
        for crm in found.instances(Role.CRM):
            for canonical_id, system_id in publish_to_crm(crm, product).items():
                link(canonical_id, _entity(canonical_id, product["id"]), crm, system_id)
    return {"skus": len(skus), "published": published}


__all__ = ["FLOW", "prices_of", "product_master_sync"]
