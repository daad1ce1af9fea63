"""FakeBill's events in accord's words, and what each is about."""

from __future__ import annotations

from typing import Any

from accord.canonical.events import EventType
from accord.connectors.base import EventFacts, InboundEvent

EVENTS = {"invoice.issued": EventType.INVOICE_FINALIZED.value,
          "invoice.settled": EventType.INVOICE_PAID.value,
          "payment.refunded": EventType.PAYMENT_REFUNDED.value}
"""FakeBill's event types -> accord's (its other events start no flow)."""


def describe_event(event: InboundEvent) -> EventFacts:
    """An invoice event names the invoice and its number; every event names the FakeBill
    customer, which orders it after that customer's earlier events. Never fails."""
    data: Any = event.payload.get("data")
    record = data if isinstance(data, dict) else {}
    customer = record.get("id") if event.event_type == "customer.created" \
        else record.get("customer")
    keys: dict[str, str] = {}
    if event.event_type.startswith("invoice.") and isinstance(record.get("id"), str):
        keys["billing_invoice_id"] = record["id"]
        if isinstance(record.get("number"), str):
            keys["invoice_number"] = record["number"]
    elif event.event_type == "payment.refunded" and isinstance(record.get("payment"), str):
        keys["billing_payment_id"] = record["payment"]
    return EventFacts(keys=keys, customer_ref=customer if isinstance(customer, str) else None)
