"""A flow registered for an inbound event type, for the dispatch tests: the ``toybill``
system plays billing and calls its finalized invoices ``invoice.finalized``."""

from __future__ import annotations

from toy_connector import toy_connector

from accord.canonical.roles import Role
from accord.connectors.base import EventFacts, InboundEvent
from accord.engine import FlowInput, flow
from accord.engine.dispatch import handles

SEEN: list[str] = []
EVENT = "toy.invoice_finalized"  # accord's name: no real flow handles it


def describe(event: InboundEvent) -> EventFacts:
    return EventFacts(keys={"invoice_number": str(event.payload["number"])},
                      customer_ref=str(event.payload["customer"]))


toy_connector("toybill", Role.BILLING, {"invoice.finalized": EVENT}, describe)


@handles(Role.BILLING, EVENT)
@flow("toy_invoice_posting")
def toy_invoice_posting(run: FlowInput) -> str:
    SEEN.append(run.keys["invoice_number"])
    return run.keys["invoice_number"]
