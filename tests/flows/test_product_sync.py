"""Product master sync publishes the catalog to Stripe and Salesforce once."""

from __future__ import annotations

from decimal import Decimal

from accord.engine import FlowInput, run_flow
from accord.flows.product_sync import product_master_sync
from accord.flows.systems import Systems


def _catalog(found: Systems) -> tuple[list[str], list[tuple[str, int, str]], list[str],
                                      list[tuple[str, str, Decimal]]]:
    v1 = found.stripe.v1
    products = sorted(p.metadata["sku"] for p in v1.products.list(params={"limit": 100}).data)
    prices = sorted((p.product, p.unit_amount, p.currency)
                    for p in v1.prices.list(params={"limit": 100}).data)
    product2 = sorted(r["ProductCode"] for r in found.salesforce.query(
        "SELECT ProductCode FROM Product2 WHERE Accord_Id__c != null"))
    entries = sorted((r["ProductCode"], r["CurrencyIsoCode"], Decimal(str(r["UnitPrice"])))
                     for r in found.salesforce.query(
        "SELECT ProductCode, CurrencyIsoCode, UnitPrice FROM PricebookEntry "
        "WHERE Accord_Id__c != null"))
    return products, prices, product2, entries


def test_catalog_is_published_once(engine, make_systems) -> None:
    found: Systems = make_systems()
    result = run_flow(product_master_sync, FlowInput(correlation_id="sync:1")).get_result()
    skus = sorted(found.skus.skus)
    assert result == {"skus": len(skus), "published": len(skus) * 3}
    products, prices, product2, entries = _catalog(found)
    assert products == skus
    assert len(prices) == len(skus) * 2
    assert product2 == skus
    assert ("BW-PLAT-SEAT", "EUR", Decimal("45.00")) in entries
    assert len(entries) == len(skus) * 2
    run_flow(product_master_sync, FlowInput(correlation_id="sync:2")).get_result()
    assert _catalog(found) == (products, prices, product2, entries)
