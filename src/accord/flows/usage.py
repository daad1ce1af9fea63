"""Usage overages: metered usage reported to billing, billed in arrears, posted like any
other invoice.

The product's metering reports each usage record (units of a usage SKU, e.g. 1,000 API
calls over the plan) to ``POST /v1/usage``: a ``usage.recorded`` event of system
``metering``, naming the CRM account. The flow finds the customer's live subscription in
billing and its metered item for the SKU, and reports the record to the SKU's meter keyed
by the record's canonical id: a redelivered or replayed record is refused by billing as a
duplicate and counted once. Billing sums the meter over the period and bills it on the
renewal invoice (the overage line), which :mod:`accord.flows.invoice_posting` posts to
the ERP like any other invoice.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from accord.canonical.events import EventType
from accord.canonical.ids import EntityType
from accord.canonical.roles import Role
from accord.canonical.subscription import UsageRecord
from accord.canonical.upcasting import load
from accord.connectors.base import InboundEvent
from accord.engine import FlowInput, StepCall, flow, step
from accord.engine.dispatch import handles
from accord.errors import DataQualityError, Team
from accord.flows.identities import customer_id_for, usage_id_for
from accord.flows.keys import Key, required_key
from accord.flows.links import await_link, canonical_of, note_keys
from accord.flows.systems import systems

SYSTEM = "metering"
EVENT_TYPE = EventType.USAGE_RECORDED.value
FLOW = "usage_reporting"
REPORTED = "reported"
ALREADY_REPORTED = "already_reported"


def usage_event(source_id: str, *, account_id: str, sku: str, quantity: Decimal,
                occurred_at: datetime) -> InboundEvent:
    """A usage record as the metering source delivers it."""
    return InboundEvent(system=SYSTEM, event_id=f"usage:{source_id}", event_type=EVENT_TYPE,
                        occurred_at=occurred_at,
                        payload={"id": source_id, "account_id": account_id, "sku": sku,
                                 "quantity": format(quantity, "f"),
                                 "occurred_at": occurred_at.isoformat()})


@step(Role.BILLING, "metered_item", entity=Key.USAGE_ID)
def metered_item(_call: StepCall, billing: str, billing_customer: str,
                 sku: str) -> dict[str, str]:
    """The customer's live subscription and its metered item billing ``sku``."""
    found = systems()
    entry = found.skus.entry(sku, "sku")
    if not entry.meter:
        raise DataQualityError("sku", f"{sku} is not a usage SKU (it names no billing meter)",
                               owner=Team.MASTER_DATA)
    item = found.billing(billing).metered_item(billing_customer, sku)
    return {"subscription": item.subscription, "item": item.item}


@step(Role.BILLING, "report_usage", entity=Key.USAGE_ID)
def report_usage(_call: StepCall, billing: str, usage: dict[str, Any],
                 billing_customer: str) -> str:
    """One meter event keyed by the usage record's canonical id; billing refuses a second
    one: that record was reported already."""
    found = systems()
    model = load(UsageRecord, usage)
    meter = found.skus.entry(model.product_sku, "sku").meter or ""
    reported = found.billing(billing).report_usage(model, meter_event=meter,
                                                   billing_customer_id=billing_customer)
    return REPORTED if reported else ALREADY_REPORTED


def customer_of(account_id: str) -> str:
    """The customer of the CRM account metering names: the one a CRM's xref knows (the
    account is in any CRM sales works in), else the one the default CRM's id derives."""
    found = systems()
    default = found.default(Role.CRM)
    for crm in [default, *(name for name in found.instances(Role.CRM) if name != default)]:
        customer_id = canonical_of(crm, EntityType.CUSTOMER.value, account_id)
        if customer_id is not None:
            return customer_id
    return customer_id_for(default, account_id)


@handles(Role.METERING, EVENT_TYPE)
@flow(FLOW)
def usage_reporting(run: FlowInput) -> dict[str, Any]:
    payload = run.payload
    account_id = required_key(run, Key.ACCOUNT_ID)
    customer_id = customer_of(account_id)
    billing = systems().default(Role.BILLING)
    billing_customer = await_link(customer_id, billing, "customer")
    sku = str(payload["sku"])
    item = metered_item(billing, billing_customer, sku)
    subscription_id = canonical_of(billing, EntityType.SUBSCRIPTION.value,
                                   item["subscription"]) or item["subscription"]
    usage = UsageRecord(id=usage_id_for(run.system or SYSTEM, required_key(run, Key.USAGE_ID)),
                        subscription_id=subscription_id, product_sku=sku,
                        quantity=Decimal(str(payload["quantity"])),
                        occurred_at=datetime.fromisoformat(str(payload["occurred_at"])),
                        source=SYSTEM)
    note_keys({Key.CUSTOMER_ID: customer_id, Key.SUBSCRIPTION_ID: subscription_id,
               Key.USAGE_RECORD_ID: usage.id})
    outcome = report_usage(billing, usage.model_dump(mode="json"), billing_customer)
    return {"outcome": outcome, "usage_id": usage.id, "quantity": str(usage.quantity),
            "subscription": item["subscription"]}


__all__ = ["ALREADY_REPORTED", "EVENT_TYPE", "FLOW", "REPORTED", "SYSTEM", "usage_event",
           "usage_reporting"]
