"""FakeBill's events in accord's words, and what each is about."""

from __future__ import annotations

from typing import Any

from accord.canonical.events import EventType
from accord.connectors.base import EventFacts, InboundEvent

EVENTS = {"invoice.issued": EventType.INVOICE_FINALIZED.value}
"""FakeBill's event types -> accord's (its other events start no flow)."""


def describe_event(event: InboundEvent) -> EventFacts:
    """An invoice event names the invoice and its number; every event names the FakeBill
    customer, which orders it after that customer's earlier events. Never fails."""
    data: Any = event.payload.get("data")
    record = data if isinstance(data, dict) else {}
    customer = record.get("customer") if event.event_type.startswith("invoice.") else None
    if event.event_type == "customer.created":
        customer = record.get("id")
    keys: dict[str, str] = {}
    if event.event_type.startswith("invoice.") and isinstance(record.get("id"), str):
        keys["billing_invoice_id"] = record["id"]
        if isinstance(record.get("number"), str):
            keys["invoice_number"] = record["number"]
    return EventFacts(keys=keys, customer_ref=customer if isinstance(customer, str) else None)
