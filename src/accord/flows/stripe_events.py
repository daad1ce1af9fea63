"""Describing Stripe events for the engine: business keys and the canonical customer that
orders them (every event of one customer runs in arrival order)."""

from __future__ import annotations

from typing import Any

from accord.canonical.ids import EntityType
from accord.connectors.base import InboundEvent
from accord.engine.context import current
from accord.engine.inbox import Delivery
from accord.flows.intake import jsonable
from accord.flows.keys import Key
from accord.registry.xref import Xrefs

STRIPE_EVENT_TYPES = ("invoice.finalized", "invoice.paid", "invoice.payment_failed",
                      "charge.refunded")
"""The Stripe event types the flows handle (a webhook endpoint subscribes to these)."""


def event_object(payload: dict[str, Any]) -> dict[str, Any]:
    data = payload.get("data") or {}
    found: dict[str, Any] = dict(data.get("object") or {})
    return found


def customer_of(stripe_customer: str | None) -> str | None:
    """The canonical customer of a Stripe customer id (None when accord does not know it)."""
    if not stripe_customer:
        return None
    with current().database.session() as session:
        return Xrefs(session).canonical_id("stripe", EntityType.CUSTOMER, stripe_customer)


def describe(event: InboundEvent, keys: dict[str, str], stripe_customer: str | None
             ) -> Delivery:
    canonical = customer_of(stripe_customer)
    if canonical:
        keys = {**keys, Key.CUSTOMER_ID: canonical}
    return Delivery(system=event.system, external_event_id=event.event_id,
                    event_type=event.event_type, payload=jsonable(dict(event.payload)),
                    occurred_at=event.occurred_at, keys=keys,
                    customer=canonical or (f"stripe:{stripe_customer}"
                                           if stripe_customer else None))


def describe_invoice_event(event: InboundEvent) -> Delivery:
    invoice = event_object(dict(event.payload))
    keys: dict[str, str] = {Key.STRIPE_INVOICE_ID: str(invoice.get("id"))}
    if invoice.get("number"):
        keys[Key.INVOICE_NUMBER] = str(invoice["number"])
    return describe(event, keys, invoice.get("customer"))


def describe_charge_event(event: InboundEvent) -> Delivery:
    charge = event_object(dict(event.payload))
    keys: dict[str, str] = {Key.STRIPE_CHARGE_ID: str(charge.get("id"))}
    return describe(event, keys, charge.get("customer"))


__all__ = ["STRIPE_EVENT_TYPES", "customer_of", "describe", "describe_charge_event",
           "describe_invoice_event", "event_object"]
