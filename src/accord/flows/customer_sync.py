"""ERP customer changes back into the golden record, under the ownership policy.

An ERP customer change (its change poll) is read, mapped and merged into the customer's
golden record with the ERP instance as source and stage ``active`` (an invoiced customer:
finance owns credit status and tax registration). Fields the ERP does not own (legal name,
addresses, contacts: the CRM's) are not taken, and accord's own ERP writes coming back are
recognised as echoes.
"""

from __future__ import annotations

from typing import Any

from accord.canonical.events import EventType
from accord.canonical.ids import EntityType
from accord.canonical.roles import Role
from accord.engine import FlowInput, StepCall, flow, step
from accord.engine.context import current
from accord.engine.dispatch import handles
from accord.flows.keys import Key, required_key
from accord.flows.systems import systems
from accord.registry.golden import GoldenRecords
from accord.registry.xref import Xrefs

FLOW = "erp_customer_sync"
STAGE = "active"


@step(Role.ERP, "read_customer", entity=Key.ERP_CUSTOMER_ID)
def read_customer(_call: StepCall, erp: str, erp_customer_id: str) -> dict[str, Any]:
    """The customer as the ERP instance that holds it has it now."""
    return systems().erp(erp).read_customer(erp_customer_id).model_dump(mode="json")


@step("accord", "merge_golden", entity=Key.ERP_CUSTOMER_ID)
def merge_golden(call: StepCall, erp: str, customer_id: str, erp_customer_id: str,
                 customer: dict[str, Any]) -> dict[str, Any]:
    with current().database.session() as session:
        outcome = GoldenRecords(session, systems().policy).merge(
            customer_id, EntityType.CUSTOMER, erp, customer, source_id=erp_customer_id,
            stage=STAGE, caused_by=call.correlation_id)
    return {"version": outcome.version, "changed": list(outcome.changed),
            "ignored": list(outcome.ignored), "echo": outcome.echo}


@step("accord", "customer_of", entity=Key.ERP_CUSTOMER_ID)
def customer_of(_call: StepCall, source: str, erp_customer_id: str) -> list[str] | None:
    """(canonical customer, ERP instance) of an ERP customer: instances sharing one account
    (one OneWorld account, one subsidiary per legal entity) are polled once, so look in
    each."""
    found = systems()
    instances = [source, *(name for name in found.instances(Role.ERP) if name != source)]
    with current().database.session() as session:
        xrefs = Xrefs(session)
        for instance in instances:
            customer_id = xrefs.canonical_id(instance, EntityType.CUSTOMER, erp_customer_id)
            if customer_id:
                return [customer_id, instance]
    return None


@handles(Role.ERP, EventType.CUSTOMER_CHANGED)
@flow(FLOW)
def erp_customer_sync(run: FlowInput) -> dict[str, Any]:
    source = run.system or systems().default(Role.ERP)
    erp_customer_id = required_key(run, Key.ERP_CUSTOMER_ID)
    known = customer_of(source, erp_customer_id)
    if known is None:
        return {"outcome": "not_accord_customer"}
    customer_id, erp = known
    read = read_customer(erp, erp_customer_id)
    merged = merge_golden(erp, customer_id, erp_customer_id, read)
    return {"outcome": "merged", **merged}


__all__ = ["FLOW", "erp_customer_sync"]
