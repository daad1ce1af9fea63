"""A flow registered for an inbound event type, for the dispatch tests."""

from __future__ import annotations

from accord.connectors.base import InboundEvent
from accord.engine import FlowInput, flow
from accord.engine.dispatch import handles
from accord.engine.inbox import Delivery

SEEN: list[str] = []


def describe(event: InboundEvent) -> Delivery:
    return Delivery(system=event.system, external_event_id=event.event_id,
                    event_type=event.event_type, payload=dict(event.payload),
                    occurred_at=event.occurred_at,
                    keys={"invoice_number": str(event.payload["number"])},
                    customer=str(event.payload["customer"]))


@handles("toybill", "invoice.finalized", describe=describe)
@flow("toy_invoice_posting")
def toy_invoice_posting(run: FlowInput) -> str:
    SEEN.append(run.keys["invoice_number"])
    return run.keys["invoice_number"]
