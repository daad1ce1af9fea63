"""NetSuite customer changes back into the golden record, under the ownership policy.

A NetSuite customer change (the SuiteQL change poll on ``customer``) is read, mapped and
merged into the customer's golden record with source = the ERP instance and stage
``active`` (an invoiced customer: finance owns credit status and tax registration). Fields
NetSuite does not own (legal name, addresses, contacts: Salesforce's) are not taken, and
accord's own NetSuite writes coming back are recognised as echoes.
"""

from __future__ import annotations

from typing import Any

from accord.canonical.ids import EntityType
from accord.connectors.base import InboundEvent
from accord.connectors.netsuite import mapping, streams
from accord.connectors.netsuite.intake import SuiteQLChangePoller
from accord.connectors.netsuite.posting import NetSuitePoster
from accord.engine import FlowInput, StepCall, flow, step
from accord.engine.context import current
from accord.engine.dispatch import handles
from accord.engine.inbox import Delivery
from accord.flows.intake import jsonable
from accord.flows.keys import Key
from accord.flows.systems import systems
from accord.registry.golden import GoldenRecords
from accord.registry.xref import Xrefs

FLOW = "netsuite_customer_sync"
EVENT_TYPE = streams.CUSTOMER_CHANGED
STAGE = "active"


def customer_poller(poster: NetSuitePoster) -> SuiteQLChangePoller:
    return streams.customer_poller(poster.client)


def _canonical(internal_id: str) -> tuple[str, str] | None:
    """(canonical id, ERP instance) of a NetSuite customer internal id."""
    with current().database.session() as session:
        xrefs = Xrefs(session)
        for instance in sorted(systems().netsuite):
            found = xrefs.canonical_id(instance, EntityType.CUSTOMER, internal_id)
            if found:
                return found, instance
    return None


def describe(event: InboundEvent) -> Delivery:
    internal_id = str(event.payload.get("id"))
    known = _canonical(internal_id)
    keys: dict[str, str] = {Key.NETSUITE_CUSTOMER_ID: internal_id}
    if known:
        keys[Key.CUSTOMER_ID] = known[0]
    return Delivery(system=event.system, external_event_id=event.event_id,
                    event_type=event.event_type, payload=jsonable(dict(event.payload)),
                    occurred_at=event.occurred_at, keys=keys,
                    customer=known[0] if known else None)


@step("netsuite", "read_customer", entity=Key.NETSUITE_CUSTOMER_ID)
def read_customer(_call: StepCall, customer_id: str, internal_id: str) -> dict[str, Any]:
    """The customer as the ERP instance that holds it has it now."""
    instance = _instance_of(customer_id)
    poster = systems().netsuite[instance]
    record = poster.client.get("customer", internal_id)
    customer = mapping.customer_from_netsuite(record, poster.ref)
    return {"instance": instance, "customer": customer.model_dump(mode="json")}


@step("accord", "merge_golden", entity=Key.NETSUITE_CUSTOMER_ID)
def merge_golden(call: StepCall, customer_id: str, instance: str, internal_id: str,
                 customer: dict[str, Any]) -> dict[str, Any]:
    with current().database.session() as session:
        outcome = GoldenRecords(session, systems().policy).merge(
            customer_id, EntityType.CUSTOMER, instance, customer, source_id=internal_id,
            stage=STAGE, caused_by=call.correlation_id)
    return {"version": outcome.version, "changed": list(outcome.changed),
            "ignored": list(outcome.ignored), "echo": outcome.echo}


@handles("netsuite", EVENT_TYPE, describe=describe)
@flow(FLOW)
def netsuite_customer_sync(run: FlowInput) -> dict[str, Any]:
    internal_id = run.keys[Key.NETSUITE_CUSTOMER_ID]
    customer_id = run.keys.get(Key.CUSTOMER_ID)
    if customer_id is None:
        return {"outcome": "not_accord_customer"}
    read = read_customer(customer_id, internal_id)
    merged = merge_golden(customer_id, read["instance"], internal_id, read["customer"])
    return {"outcome": "merged", **merged}


def _instance_of(customer_id: str) -> str:
    with current().database.session() as session:
        ids = Xrefs(session).ids_for(customer_id)
    return next((name for name in sorted(systems().netsuite) if name in ids), "netsuite")


__all__ = ["EVENT_TYPE", "FLOW", "customer_poller", "describe", "netsuite_customer_sync"]
