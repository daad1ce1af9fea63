"""The drill's posting flow: ensure the customer in NetSuite, then post the invoice.

It handles the drill-only Stripe event type of drills/workload.py, delivered as a signed
webhook to the API's ``POST /hooks/stripe``. Both NetSuite steps are idempotent upserts keyed
by canonical ids (NetSuite ``externalId``), so a step re-run after a crash updates the same
record. An event whose object is not a valid invoice and customer becomes a data-quality
exception naming the field. NetSuite settings come from ``ACCORD_NETSUITE_*`` in the
worker's environment.

When the drill's configuration (drills/config.py) involves Stripe and Salesforce, the flow
makes one more call to each around the posting, each its own idempotent step:
``stripe.read_customer`` (GET the customer, before posting), then ``stripe.record_posting``
(the customer's metadata names the last invoice posted) and ``salesforce.record_posting``
(the Account gets its NetSuite customer id and billing status ``Synced``). Their clients have
neither a retry loop nor pacing of their own: the engine's step budget and cross-process
limiters govern, as for NetSuite. Settings: ``ACCORD_STRIPE_*``, ``ACCORD_SALESFORCE_*``.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from functools import cache
from typing import Any

import config
from pydantic import ValidationError
from workload import EVENT_TYPE, SYSTEM

from accord.canonical import Customer, Invoice
from accord.canonical.roles import Role
from accord.connectors.base import InboundEvent
from accord.connectors.netsuite.client import NetSuiteClient
from accord.connectors.netsuite.posting import NetSuitePoster
from accord.connectors.netsuite.refdata import load_refdata
from accord.connectors.netsuite.settings import NetSuiteSettings
from accord.connectors.salesforce.client import SalesforceClient
from accord.connectors.salesforce.settings import SalesforceSettings
from accord.connectors.stripe.client import StripeClient
from accord.connectors.stripe.settings import StripeSettings
from accord.engine import FlowInput, StepCall, flow, step
from accord.engine.dispatch import handles
from accord.engine.inbox import Delivery
from accord.errors import DataQualityError
from accord.resilience import LocalGate, RateLimiter

CONFIG = config.load()
"""Read once, at import: every process that may recover a flow runs the same steps."""

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


# -- the other systems (when the drill involves them) ----------------------------------
@cache
def stripe_client() -> StripeClient:
    """Without pacing of its own (``RateLimiter(None)``); each call is made with
    ``retry=False``: the engine's limiter and step budget govern."""
    return StripeClient(StripeSettings(), limiter=RateLimiter(None))


@cache
def salesforce_client() -> SalesforceClient:
    return SalesforceClient(SalesforceSettings(), retries=False, gate=LocalGate(None))


def stripe_once(request: Callable[[Any], Any]) -> dict[str, Any]:
    """One Stripe request (``request`` gets the official client's ``v1``), classified by
    accord's error table, not retried here."""
    client = stripe_client()
    found: dict[str, Any] = client.call(lambda: request(client.v1), retry=False).to_dict()
    return found


def ids_of(customer_id: str) -> dict[str, str]:
    """The customer's ids in Stripe and Salesforce, as the drill seeded them."""
    found = CONFIG.accounts.get(customer_id)
    if found is None:
        raise DataQualityError("data.object.customer.id", "not seeded in Stripe and Salesforce",
                               system=SYSTEM)
    return found


@step("stripe", "read_customer", entity="customer_id")
def read_stripe_customer(_call: StepCall, customer_id: str) -> str:
    """GET the customer from Stripe; it must be the one seeded for this canonical id."""
    stripe_id = ids_of(customer_id)["stripe"]
    found = stripe_once(lambda v1: v1.customers.retrieve(stripe_id))
    if found.get("deleted") or found.get("metadata", {}).get("accord_id") != customer_id:
        raise DataQualityError("customer", f"Stripe customer {stripe_id} is not {customer_id}",
                               system="stripe")
    return stripe_id


@step("stripe", "record_posting", entity="invoice_number")
def record_stripe_posting(_call: StepCall, customer_id: str, invoice_number: str) -> None:
    """The customer's metadata names the invoice just posted (the same update when re-run)."""
    stripe_id = ids_of(customer_id)["stripe"]
    stripe_once(lambda v1: v1.customers.update(
        stripe_id, params={"metadata": {config.POSTED_INVOICE: invoice_number}}))


@step("salesforce", "record_posting", entity="customer_id")
def record_salesforce_posting(_call: StepCall, customer_id: str, netsuite_id: str) -> None:
    """The Account gets its NetSuite customer id and billing status (the same when re-run)."""
    salesforce_client().update("Account", ids_of(customer_id)["salesforce"], {
        "NetSuite_Customer_Id__c": netsuite_id, "Billing_Status__c": "Synced"})


@handles(Role.BILLING, EVENT_TYPE)
@flow("drill_invoice_posting")
def drill_invoice_posting(run: FlowInput) -> str:
    found = check_event(run.payload)
    customer_id = str(found["customer"]["id"])
    if CONFIG.involves("stripe"):
        read_stripe_customer(customer_id)
    netsuite_id = ensure_customer(found["customer"])
    posted = post_invoice(found["invoice"])
    if CONFIG.involves("stripe"):
        record_stripe_posting(customer_id, str(found["invoice"]["number"]))
    if CONFIG.involves("salesforce"):
        record_salesforce_posting(customer_id, netsuite_id)
    return posted
