"""Stripe's events in accord's words: which ones accord acts on, and what each is about."""

from __future__ import annotations

from typing import Any

from accord.canonical.events import EventType
from accord.connectors.base import EventFacts, InboundEvent

EVENTS = {"invoice.finalized": EventType.INVOICE_FINALIZED.value,
          "invoice.paid": EventType.INVOICE_PAID.value,
          "invoice.payment_failed": EventType.PAYMENT_FAILED.value,
          "charge.refunded": EventType.PAYMENT_REFUNDED.value}
"""Stripe's event types -> accord's."""


def _object(payload: Any) -> dict[str, Any]:
    data = payload.get("data") if isinstance(payload, dict) else None
    found = data.get("object") if isinstance(data, dict) else None
    return dict(found) if isinstance(found, dict) else {}


def describe_event(event: InboundEvent) -> EventFacts:
    """An invoice event names the invoice (and its number); a charge event the payment;
    either names the Stripe customer, which orders it."""
    obj = _object(event.payload)
    customer = str(obj["customer"]) if obj.get("customer") else None
    if event.event_type.startswith("charge."):
        return EventFacts(keys={"billing_payment_id": str(obj.get("id"))},
                          customer_ref=customer)
    keys = {"billing_invoice_id": str(obj.get("id"))}
    if obj.get("number"):
        keys["invoice_number"] = str(obj["number"])
    return EventFacts(keys=keys, customer_ref=customer)


__all__ = ["EVENTS", "describe_event"]
