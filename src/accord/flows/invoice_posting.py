"""Invoice posting: each finalized Stripe invoice becomes one NetSuite invoice.

The NetSuite invoice's ``externalId`` is a canonical id derived from the Stripe invoice id,
so posting is an upsert: a redelivered or replayed event updates the same record. It goes to
the ERP instance and subsidiary of the customer's legal entity, in the invoice currency, in
the period of its issue date, with the SKU mapping's items (and so their income accounts) and
Stripe's tax lines. If the customer is not in NetSuite yet the posting waits for it, durably;
a closed period is refused by NetSuite and becomes an exception for finance operations.
"""

from __future__ import annotations

from typing import Any

from accord.canonical.billing import Invoice
from accord.canonical.ids import EntityType
from accord.connectors.stripe import mapping
from accord.connectors.stripe.client import Kind, StripeClient
from accord.engine import FlowInput, Milestone, StepCall, flow, step
from accord.engine.context import current
from accord.engine.dispatch import handles
from accord.errors import DataQualityError, Team
from accord.flows.ids import derived_id
from accord.flows.keys import Key
from accord.flows.links import await_link, link, note_keys
from accord.flows.stripe_events import describe_invoice_event
from accord.flows.stripe_setup import product_for
from accord.flows.systems import systems
from accord.registry.golden import GoldenRecords
from accord.registry.xref import Xrefs

FLOW = "invoice_posting"


def invoice_id_for(stripe_invoice_id: str) -> str:
    return derived_id(EntityType.INVOICE, "stripe", stripe_invoice_id)


def _tax_rate(client: StripeClient, rate_id: str) -> dict[str, Any]:
    found: dict[str, Any] = client.call(lambda: client.v1.tax_rates.retrieve(rate_id)).to_dict()
    return found


@step("stripe", "read_invoice", entity=Key.STRIPE_INVOICE_ID)
def read_invoice(_call: StepCall, stripe_invoice_id: str) -> dict[str, Any]:
    """The invoice as Stripe has it now, with the tax rates its taxes name."""
    client = systems().stripe
    invoice = client.retrieve(Kind.INVOICES, stripe_invoice_id)
    rates: dict[str, Any] = {}
    for tax in invoice.get("total_taxes") or []:
        rate_id = (tax.get("tax_rate_details") or {}).get("tax_rate")
        if rate_id and rate_id not in rates:
            rates[str(rate_id)] = _tax_rate(client, str(rate_id))
    return {"invoice": invoice, "tax_rates": rates}


@step("accord", "canonical_invoice", entity=Key.STRIPE_INVOICE_ID)
def canonical_invoice(_call: StepCall, read: dict[str, Any]) -> dict[str, Any]:
    """Map the Stripe invoice: customer and subscription through the xref, legal entity from
    the golden customer, SKUs through the SKU mapping to NetSuite items."""
    found = systems()
    obj = read["invoice"]
    with current().database.session() as session:
        xrefs = Xrefs(session)
        customer_id = xrefs.canonical_id("stripe", EntityType.CUSTOMER, str(obj["customer"]))
        if customer_id is None:
            raise DataQualityError("customer", f"Stripe customer {obj['customer']} is not "
                                   "known to accord", owner=Team.MASTER_DATA, system="stripe")
        golden = GoldenRecords(session, found.policy).current(customer_id)
        stripe_sub = mapping.subscription_of_invoice(obj)
        subscription_id = (xrefs.canonical_id("stripe", EntityType.SUBSCRIPTION, stripe_sub)
                           if stripe_sub else None)
        sku_of_product: dict[str, str] = {}
        for sku, entry in found.skus.skus.items():
            stripe_product = xrefs.system_id(product_for(sku, entry).id, "stripe")
            if stripe_product:
                sku_of_product[stripe_product] = entry.netsuite_item
    legal_entity = str((golden.data if golden else {}).get("legal_entity")
                       or (obj.get("metadata") or {}).get("legal_entity") or "")
    invoice = mapping.invoice_from_stripe(
        obj, customer_id=customer_id, legal_entity=legal_entity, subscription_id=subscription_id,
        sku_of_product=sku_of_product, tax_rates=read["tax_rates"],
        canonical_id=invoice_id_for(str(obj["id"])))
    return invoice.model_dump(mode="json")


@step("netsuite", "post_invoice", entity=Key.STRIPE_INVOICE_ID,
      milestone=Milestone.INVOICE_POSTED)
def post_invoice(_call: StepCall, invoice: dict[str, Any]) -> str:
    model = Invoice.model_validate(invoice)
    return systems().erp(model.legal_entity, model.currency).post_invoice(model)


def post_stripe_invoice(stripe_invoice_id: str) -> dict[str, str]:
    """The posting's steps (also run by a payment flow whose invoice event is late)."""
    read = read_invoice(stripe_invoice_id)
    invoice = canonical_invoice(read)
    note_keys({Key.INVOICE_ID: invoice["id"], Key.CUSTOMER_ID: invoice["customer_id"],
               **({Key.INVOICE_NUMBER: invoice["number"]} if invoice.get("number") else {})})
    link(invoice["id"], EntityType.INVOICE.value, "stripe", stripe_invoice_id)
    erp = systems().erp_instance(invoice["legal_entity"], invoice["currency"])
    await_link(invoice["customer_id"], erp, "customer")
    posted = post_invoice(invoice)
    link(invoice["id"], EntityType.INVOICE.value, erp, posted)
    return {"outcome": "posted", "invoice_id": invoice["id"], "netsuite_invoice": posted}


@handles("stripe", "invoice.finalized", describe=describe_invoice_event)
@flow(FLOW)
def invoice_posting(run: FlowInput) -> dict[str, str]:
    return post_stripe_invoice(run.keys[Key.STRIPE_INVOICE_ID])


__all__ = ["FLOW", "invoice_id_for", "invoice_posting", "post_stripe_invoice"]
