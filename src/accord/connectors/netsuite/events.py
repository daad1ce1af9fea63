"""NetSuite's changes in accord's words: a customer change names the customer."""

from __future__ import annotations

from accord.canonical.events import EventType
from accord.connectors.base import EventFacts, InboundEvent
from accord.connectors.netsuite.streams import CUSTOMER_CHANGED

EVENTS = {CUSTOMER_CHANGED: EventType.CUSTOMER_CHANGED.value}


def describe_event(event: InboundEvent) -> EventFacts:
    internal_id = str(event.payload.get("id"))
    return EventFacts(keys={"erp_customer_id": internal_id}, customer_ref=internal_id)


__all__ = ["EVENTS", "describe_event"]
