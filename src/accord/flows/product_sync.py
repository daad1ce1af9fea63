"""Product master sync: NetSuite items -> canonical products -> Stripe and Salesforce.

NetSuite owns products (ownership policy). For every SKU of the shared SKU mapping the sync
checks that its NetSuite item exists and is active (else an exception for master data),
builds the canonical product and its list prices, and publishes them: Stripe products and
prices (created once, remembered in the xref), Salesforce ``Product2`` and standard price
book entries (upserted on ``Accord_Id__c``). Running it again changes nothing.
"""

from __future__ import annotations

from typing import Any

from accord.canonical.catalog import Price, Product
from accord.canonical.ids import EntityType
from accord.canonical.money import Money
from accord.connectors.salesforce.mapping import price_to_entry, product_to_product2
from accord.engine import FlowInput, StepCall, flow, step
from accord.errors import DataQualityError, Team
from accord.flows import stripe_setup
from accord.flows.keys import Key
from accord.flows.links import link
from accord.flows.systems import systems

FLOW = "product_master_sync"


@step("netsuite", "read_item", entity=Key.SKU)
def read_item(_call: StepCall, sku: str) -> dict[str, Any]:
    """The SKU's NetSuite item, checked to exist and be active; the canonical product."""
    found = systems()
    entry = found.skus.entry(sku)
    poster = next(iter(found.netsuite.values()))
    item = poster.ref.item(entry.netsuite_item, "netsuite_item")
    record = poster.client.get(item.record_type, item.id, expand=False)
    if record.get("isInactive"):
        raise DataQualityError("netsuite_item", f"NetSuite item {entry.netsuite_item} of "
                               f"{sku} is inactive", owner=Team.MASTER_DATA, system="netsuite")
    product = stripe_setup.product_for(sku, entry)
    return {"product": product.model_dump(mode="json"), "netsuite_item": str(record["id"])}


def prices_of(product: Product) -> list[Price]:
    entry = systems().skus.entry(product.sku)
    return [stripe_setup.price_for(product, Money.of(amount, currency))
            for currency, amount in sorted(entry.prices.items())]


@step("stripe", "publish_product", entity=Key.SKU)
def publish_to_stripe(_call: StepCall, product: dict[str, Any]) -> dict[str, str]:
    client = systems().stripe
    model = Product.model_validate(product)
    stripe_product = stripe_setup.ensure_product(client, model)
    published = {model.id: stripe_product}
    meter = stripe_setup.meter_for(client, systems().skus.entry(model.sku))
    for price in prices_of(model):
        published[price.id] = stripe_setup.ensure_price(client, price, stripe_product,
                                                        meter=meter)
    return published


@step("salesforce", "publish_product", entity=Key.SKU)
def publish_to_salesforce(_call: StepCall, product: dict[str, Any]) -> dict[str, str]:
    client = systems().salesforce
    model = Product.model_validate(product)
    book = str(next(client.query("SELECT Id FROM Pricebook2 WHERE IsStandard = true"))["Id"])
    product2 = client.save_by_external_id("Product2", "Accord_Id__c", model.id,
                                          product_to_product2(model)).id
    published = {model.id: product2}
    for price in prices_of(model):
        fields = price_to_entry(price, product2_id=product2, pricebook2_id=book)
        published[price.id] = client.save_by_external_id("PricebookEntry", "Accord_Id__c",
                                                          price.id, fields).id
    return published


@flow(FLOW)
def product_master_sync(run: FlowInput) -> dict[str, int]:
    """Publish every SKU of the mapping (or ``payload["skus"]``)."""
    skus = list(run.payload.get("skus") or sorted(systems().skus.skus))
    published = 0
    for sku in skus:
        read = read_item(sku)
        stripe_ids = publish_to_stripe(read["product"])
        salesforce_ids = publish_to_salesforce(read["product"])
        product_id = read["product"]["id"]
        for canonical_id, salesforce_id in salesforce_ids.items():
            entity = EntityType.PRODUCT if canonical_id == product_id else EntityType.PRICE
            link(canonical_id, entity.value, "salesforce", salesforce_id)
        published += len(stripe_ids)
    return {"skus": len(skus), "published": published}


__all__ = ["FLOW", "prices_of", "product_master_sync"]
