"""HubSpot's changes in accord's words: a deal moved to closed won is a deal won, a company
created or changed a customer change. A company event names its company, which orders it;
a deal event carries only the deal's id (HubSpot's events name no associations)."""

from __future__ import annotations

from accord.canonical.events import EventType
from accord.connectors.base import EventFacts, InboundEvent
from accord.connectors.hubspot.intake import COMPANY_CHANGED, DEAL_WON

EVENTS = {DEAL_WON: EventType.DEAL_CLOSED_WON.value,
          COMPANY_CHANGED: EventType.CUSTOMER_CHANGED.value}


def describe_event(event: InboundEvent) -> EventFacts:
    payload = event.payload if isinstance(event.payload, dict) else {}
    object_id = payload.get("objectId")
    record_id = str(object_id) if isinstance(object_id, int | str) and str(object_id) \
        else event.event_id
    if event.event_type.startswith("company."):
        return EventFacts(keys={"account_id": record_id}, customer_ref=record_id)
    return EventFacts(keys={"deal_id": record_id}, customer_ref=None)


__all__ = ["EVENTS", "describe_event"]
