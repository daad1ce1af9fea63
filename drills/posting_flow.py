"""The drill's posting flow: ensure the customer in NetSuite, then post the invoice.

It handles the drill-only Stripe event type of drills/workload.py, delivered as a signed
webhook to the API's ``POST /hooks/stripe``. Both NetSuite steps are idempotent upserts keyed
by canonical ids (NetSuite ``externalId``), so a step re-run after a crash updates the same
record. An event whose object is not a valid invoice and customer becomes a data-quality
exception naming the field. NetSuite settings come from ``ACCORD_NETSUITE_*`` in the
worker's environment.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any

from pydantic import ValidationError
from workload import EVENT_TYPE, SYSTEM

from accord.canonical import Customer, Invoice
from accord.connectors.base import InboundEvent
from accord.connectors.netsuite.client import NetSuiteClient
from accord.connectors.netsuite.posting import NetSuitePoster
from accord.connectors.netsuite.refdata import load_refdata
from accord.connectors.netsuite.settings import NetSuiteSettings
from accord.engine import FlowInput, StepCall, flow, step
from accord.engine.dispatch import handles
from accord.engine.inbox import Delivery
from accord.errors import DataQualityError

_poster: NetSuitePoster | None = None
_lock = threading.Lock()


def poster() -> NetSuitePoster:
    """The NetSuite poster, its client without a retry loop of its own: the engine retries the
    step under the worker's budget. (With the client's default policy, six attempts, an
    outage of a few minutes ends each call in ``retries_exhausted``, a permanent error, and
    leaves an exception for a transient cause - what the outage drill first found.)"""
    global _poster
    with _lock:
        if _poster is None:
            settings = NetSuiteSettings()
            _poster = NetSuitePoster(NetSuiteClient(settings, retry=False),
                                     load_refdata(settings.refdata_path))
        return _poster


def carried(payload: dict[str, Any]) -> dict[str, Any]:
    """The event's ``data.object`` (empty when the envelope has none)."""
    data = payload.get("data")
    found = data.get("object") if isinstance(data, dict) else None
    return found if isinstance(found, dict) else {}


def describe(event: InboundEvent) -> Delivery:
    """Keys and ordering customer; never fails, so a malformed event still starts its flow
    (which files the exception) rather than sticking in the inbox."""
    invoice = carried(dict(event.payload)).get("invoice")
    invoice = invoice if isinstance(invoice, dict) else {}
    keys = {"event_id": event.event_id}
    for key in ("number", "customer_id"):
        if isinstance(invoice.get(key), str):
            keys["invoice_number" if key == "number" else key] = invoice[key]
    customer = invoice.get("customer_id")
    return Delivery(system=event.system, external_event_id=event.event_id,
                    event_type=event.event_type, payload=dict(event.payload),
                    occurred_at=event.occurred_at, keys=keys,
                    customer=customer if isinstance(customer, str) else None)


def validated(model: type[Customer] | type[Invoice], name: str, value: Any) -> Any:
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        if not where:  # a whole-record check names its field in the message ("total: ...")
            named = re.match(r"([\w.]+): (.*)", message)
            if named:
                where, message = named.group(1), named.group(2)
        raise DataQualityError(f"data.object.{name}" + (f".{where}" if where else ""),
                               message, system=SYSTEM) from None


@step("accord", "validate_event", entity="event_id")
def check_event(_call: StepCall, payload: dict[str, Any]) -> dict[str, Any]:
    """The event's customer and invoice, validated (a data-quality exception otherwise)."""
    found = carried(payload)
    customer = validated(Customer, "customer", found.get("customer"))
    invoice = validated(Invoice, "invoice", found.get("invoice"))
    if invoice.customer_id != customer.id:
        raise DataQualityError("data.object.invoice.customer_id",
                               "does not name the event's customer", system=SYSTEM)
    return {"customer": customer.model_dump(mode="json"),
            "invoice": invoice.model_dump(mode="json")}


_upserted: dict[str, str] = {}
"""Customers this process has already upserted, by their exact content: a later invoice of the
same customer skips the call (a new process, e.g. after a crash, upserts again - harmless,
the upsert is idempotent)."""


@step("netsuite", "upsert_customer", entity="customer_id")
def ensure_customer(_call: StepCall, customer: dict[str, Any]) -> str:
    key = json.dumps(customer, sort_keys=True)
    with _lock:
        known = _upserted.get(key)
    if known is not None:
        return known
    posted = poster().post_customer(Customer.model_validate(customer))
    with _lock:
        _upserted[key] = posted
    return posted


@step("netsuite", "upsert_invoice", entity="invoice_number")
def post_invoice(_call: StepCall, invoice: dict[str, Any]) -> str:
    return poster().post_invoice(Invoice.model_validate(invoice))


@handles(SYSTEM, EVENT_TYPE, describe=describe)
@flow("drill_invoice_posting")
def drill_invoice_posting(run: FlowInput) -> str:
    found = check_event(run.payload)
    ensure_customer(found["customer"])
    return post_invoice(found["invoice"])
