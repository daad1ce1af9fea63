"""accord's side of the peers bench: the same ``invoice.finalized`` events through accord's
engine (inbox, durable flow, idempotent steps, NetSuite limits and retries).

Stripe's connector describes each event (its keys and the customer that orders it). The
flow maps the Stripe invoice with accord's Stripe mapping and posts customer then
invoice with accord's NetSuite poster (upserts keyed by canonical ids derived from the
Stripe ids). It stands in for :mod:`accord.flows.invoice_posting`, which also reads the
invoice back from Stripe and resolves the customer through the identity registry; the bench
feeds every peer the event alone, so every peer does the same NetSuite work.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from workload import PRODUCT, append_done

import accord.flows  # noqa: F401 - registers accord's own flows first; ours replaces the handler
from accord.canonical import Customer
from accord.canonical.billing import Invoice
from accord.canonical.events import EventType
from accord.canonical.ids import EntityType, derived_id
from accord.canonical.roles import Role
from accord.connectors.netsuite.client import NetSuiteClient
from accord.connectors.netsuite.posting import NetSuitePoster
from accord.connectors.netsuite.refdata import load_refdata
from accord.connectors.netsuite.settings import NetSuiteSettings
from accord.connectors.stripe import mapping
from accord.engine import FlowInput, Milestone, StepCall, flow, step
from accord.engine.dispatch import handles

_poster: NetSuitePoster | None = None
_lock = threading.Lock()


def poster() -> NetSuitePoster:
    global _poster
    with _lock:
        if _poster is None:
            # one attempt per call: the engine's durable step retry (the worker's budget)
            # decides when to try again, so an outage longer than a client's own retries
            # does not turn into "retries exhausted" exceptions
            _poster = NetSuitePoster(NetSuiteClient(NetSuiteSettings(), retry=False),
                                     load_refdata())
        return _poster


def customer_id(stripe_customer: str) -> str:
    return derived_id(EntityType.CUSTOMER, "stripe", stripe_customer)


@step("netsuite", "bench_upsert_customer", entity="customer_id")
def ensure_customer(_call: StepCall, invoice: dict[str, Any]) -> str:
    customer = Customer(id=customer_id(invoice["customer"]), legal_name=invoice["customer_name"],
                        legal_entity=invoice["metadata"]["legal_entity"],
                        currency=invoice["currency"].upper())
    return poster().post_customer(customer)


@step("netsuite", "bench_upsert_invoice", entity="invoice_number",
      milestone=Milestone.INVOICE_POSTED)
def post_invoice(_call: StepCall, invoice: dict[str, Any]) -> str:
    canonical = mapping.invoice_from_stripe(
        invoice, customer_id=customer_id(invoice["customer"]),
        legal_entity=invoice["metadata"]["legal_entity"],
        sku_of_product={PRODUCT: "SUBSCRIPTION"},
        canonical_id=derived_id(EntityType.INVOICE, "stripe", invoice["id"]))
    return poster().post_invoice(Invoice.model_validate(canonical.model_dump(mode="json")))


@handles(Role.BILLING, EventType.INVOICE_FINALIZED)
@flow("bench_peers_invoice_posting")
def bench_invoice_posting(run: FlowInput) -> str:
    invoice = run.payload["data"]["object"]
    ensure_customer(invoice)
    posted = post_invoice(invoice)
    state = os.environ.get("BENCH_STATE")
    if state:
        append_done(Path(state) / "done.log", invoice["id"], time.time())
    return posted
