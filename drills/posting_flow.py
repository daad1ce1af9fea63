"""The drill's posting flow: ensure the customer in NetSuite, then post the invoice.

Both steps are idempotent upserts keyed by canonical ids (NetSuite ``externalId``), so a step
re-run after a crash updates the same record. NetSuite settings come from ``ACCORD_NETSUITE_*``
in the worker's environment.
"""

from __future__ import annotations

import threading
from typing import Any

from workload import EVENT_TYPE, SYSTEM

from accord.canonical import Customer, Invoice
from accord.connectors.base import InboundEvent
from accord.connectors.netsuite.posting import NetSuitePoster
from accord.connectors.netsuite.settings import NetSuiteSettings
from accord.engine import FlowInput, StepCall, flow, step
from accord.engine.dispatch import handles
from accord.engine.inbox import Delivery

_poster: NetSuitePoster | None = None
_lock = threading.Lock()


def poster() -> NetSuitePoster:
    global _poster
    with _lock:
        if _poster is None:
            _poster = NetSuitePoster.from_settings(NetSuiteSettings())
        return _poster


def describe(event: InboundEvent) -> Delivery:
    invoice = event.payload["invoice"]
    return Delivery(system=event.system, external_event_id=event.event_id,
                    event_type=event.event_type, payload=dict(event.payload),
                    occurred_at=event.occurred_at,
                    keys={"invoice_number": invoice["number"],
                          "customer_id": invoice["customer_id"]},
                    customer=invoice["customer_id"])


@step("netsuite", "upsert_customer", entity="customer_id")
def ensure_customer(_call: StepCall, customer: dict[str, Any]) -> str:
    return poster().post_customer(Customer.model_validate(customer))


@step("netsuite", "upsert_invoice", entity="invoice_number")
def post_invoice(_call: StepCall, invoice: dict[str, Any]) -> str:
    return poster().post_invoice(Invoice.model_validate(invoice))


@handles(SYSTEM, EVENT_TYPE, describe=describe)
@flow("drill_invoice_posting")
def drill_invoice_posting(run: FlowInput) -> str:
    ensure_customer(run.payload["customer"])
    return post_invoice(run.payload["invoice"])
