"""Salesforce's changes in accord's words: a won opportunity is a deal won, an account change
a customer change; each names its account, which orders it."""

from __future__ import annotations

from accord.canonical.events import EventType
from accord.connectors.base import EventFacts, InboundEvent
from accord.connectors.salesforce.intake import CLOSED_WON

EVENTS = {CLOSED_WON: EventType.DEAL_CLOSED_WON.value,
          "account.changed": EventType.CUSTOMER_CHANGED.value}


def describe_event(event: InboundEvent) -> EventFacts:
    payload = event.payload
    record = payload.get("record") if isinstance(payload, dict) else None
    found = dict(record) if isinstance(record, dict) else {}
    record_id = str(found.get("Id") or event.event_id)
    if event.event_type.startswith("account."):
        return EventFacts(keys={"account_id": record_id}, customer_ref=record_id)
    account = str(found.get("AccountId") or "")
    return EventFacts(keys={"deal_id": record_id}, customer_ref=account or None)


__all__ = ["EVENTS", "describe_event"]
