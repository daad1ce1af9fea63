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
    either names the Stripe customer, which orders it. Never fails: a malformed event is
    stored with what can be read of it, and its flow files the exception."""
    obj = _object(event.payload)
    customer = _text(obj.get("customer"))
    if event.event_type.startswith("charge."):
        payment = _text(obj.get("id"))
        return EventFacts(keys={"billing_payment_id": payment} if payment else {},
                          customer_ref=customer)
    keys = {}
    if invoice := _text(obj.get("id")):
        keys["billing_invoice_id"] = invoice
    if number := _text(obj.get("number")):
        keys["invoice_number"] = number
    return EventFacts(keys=keys, customer_ref=customer)


def _text(value: Any) -> str | None:
    """A Stripe id or number as text; anything else (an expanded object, a number) is None."""
    return value if isinstance(value, str) and value else None


__all__ = ["EVENTS", "describe_event"]
