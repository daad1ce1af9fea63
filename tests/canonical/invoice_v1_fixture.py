"""Writes ``fixtures/invoice.v1.stripe.json``: a canonical invoice as the invoice.v1 model
wrote it, made by its real producer - the billing connector's ``read_invoice`` and
``to_invoice`` over the Stripe API of the Stripe sandbox (official client) - and dumped the
way the invoice posting flow checkpoints it (``model_dump(mode="json")``).

The invoice is a subscription's first one: two recurring lines with a service period and a
one-off line without one, all under a 19 % tax rate, in EUR.

The committed file was written at the last commit whose invoice model was v1 (run there:
``git worktree add /tmp/accord-v1 b23d999 && cd /tmp/accord-v1 && make install &&
.venv/bin/python -m tests.canonical.invoice_v1_fixture``); :func:`produce` refuses to write
it under a later version, whose dump would not be a v1 document.
"""

from __future__ import annotations

import json
import sys
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from tests.netsuite import documents

from accord.canonical.billing import Invoice
from accord.canonical.catalog import IntervalUnit, Price, Product, ProductKind, Recurrence
from accord.canonical.deals import TaxRate
from accord.canonical.ids import EntityType, derived_id
from accord.canonical.money import Money
from accord.connectors.stripe.billing import StripeBilling
from accord.connectors.stripe.client import StripeClient
from accord.connectors.stripe.settings import StripeSettings
from accord.resilience.retry import RetryPolicy
from accord.sandboxes.base import SandboxOptions
from accord.sandboxes.server import start_in_thread
from accord.sandboxes.stripe import SANDBOX

FIXTURE = Path(__file__).parent / "fixtures" / "invoice.v1.stripe.json"
CUSTOMER_ID = derived_id(EntityType.CUSTOMER, "schema-fixture", "northwind")
ERP_ITEMS = {"PLAT-SEAT": "SUBSCRIPTION", "PLAT-ADDON": "SUBSCRIPTION",
             "ONBOARDING": "SERVICES"}
"""Each product's ERP item key (what the SKU mapping gives the invoice lines)."""


def _price(product: Product, amount: str, recurring: bool) -> Price:
    return Price(product_id=product.id, currency="EUR", unit_amount=Money.of(amount, "EUR"),
                 recurrence=Recurrence(interval=IntervalUnit.MONTH) if recurring else None)


def produce(directory: Path) -> dict[str, Any]:
    """Run the producer against a fresh Stripe sandbox; return the invoice's dump."""
    running = start_in_thread(SANDBOX, SandboxOptions(data_dir=directory,
                                                      settings={"rate_limit": 0}))
    try:
        client = StripeClient(
            StripeSettings(base_url=running.base_url,
                           api_key=SecretStr(running.credentials()["api_key"])),
            policy=RetryPolicy(max_attempts=3, base_delay=0), sleep=lambda _: None)
        billing = StripeBilling(client)
        customer = billing.create_customer(
            documents.customer("DE01", "EUR", "Northwind GmbH").model_copy(
                update={"id": CUSTOMER_ID}), starts_at=None, payment_method="pm_card_visa")
        tax_rate = billing.ensure_tax_rate(TaxRate(code="DE01", country="DE",
                                                   jurisdiction="DE", percentage=Decimal(19)))
        items: list[dict[str, Any]] = []
        extras: list[dict[str, Any]] = []
        sku_of_product: dict[str, str] = {}
        for sku, amount, quantity, recurring in (("PLAT-SEAT", "49.90", 3, True),
                                                 ("PLAT-ADDON", "19.99", 1, True),
                                                 ("ONBOARDING", "10.01", 1, False)):
            product = Product(sku=sku, name=sku.title(), revenue_category="subscription",
                              kind=ProductKind.RECURRING if recurring else ProductKind.SERVICE)
            stripe_product = billing.ensure_product(product)
            price = billing.ensure_price(_price(product, amount, recurring), stripe_product)
            sku_of_product[stripe_product] = ERP_ITEMS[sku]
            (items if recurring else extras).append({"price": price, "quantity": quantity})
        subscription = client.call(lambda: client.v1.subscriptions.create(params={
            "customer": customer, "items": items, "add_invoice_items": extras,
            "default_tax_rates": [tax_rate], "metadata": {"legal_entity": "DE01"}}))
        stripe_invoice = str(subscription["latest_invoice"])
        document = billing.read_invoice(stripe_invoice)
        invoice = billing.to_invoice(
            document, canonical_id=derived_id(EntityType.INVOICE, "stripe", stripe_invoice),
            customer_id=CUSTOMER_ID, subscription_id=None, legal_entity="DE01",
            sku_of_product=sku_of_product)
    finally:
        running.stop()
    return invoice.model_dump(mode="json")


def main() -> None:
    if Invoice.schema_version != "v1":
        sys.exit(f"the invoice model is {Invoice.schema_version}: run this at the last "
                 "commit whose invoice model was v1 (see the module docstring)")
    with tempfile.TemporaryDirectory() as directory:
        dump = produce(Path(directory))
    FIXTURE.parent.mkdir(exist_ok=True)
    FIXTURE.write_text(json.dumps(dump, indent=2, sort_keys=True) + "\n", "utf-8")
    print(f"wrote {FIXTURE}")


if __name__ == "__main__":
    main()
