"""Usage overages: metered usage reported to Stripe, billed in arrears, posted like any
other invoice.

The product's metering reports each usage record (units of a usage SKU, e.g. 1,000 API
calls over the plan) as a ``usage.recorded`` event of system ``metering``, naming the
Salesforce account. The flow finds the customer's live Stripe subscription and its metered
item for the SKU, and sends the record as a billing meter event whose ``identifier`` is the
record's canonical id: a redelivered or replayed record is refused by Stripe as a duplicate
and counted once. Stripe sums the meter over the billing period and bills it on the
renewal invoice (the overage line), which :mod:`accord.flows.invoice_posting` posts to
NetSuite like any other invoice (the SKU mapping names the NetSuite usage item).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

from dbos import DBOS

from accord.canonical.ids import EntityType
from accord.canonical.subscription import UsageRecord
from accord.connectors.base import InboundEvent
from accord.engine import FlowInput, StepCall, flow, step
from accord.engine.dispatch import accept, handles
from accord.engine.inbox import Delivery, Intake
from accord.errors import DataQualityError, Team
from accord.flows.amendments import current_subscription
from accord.flows.deals import customer_id_for
from accord.flows.ids import derived_id
from accord.flows.keys import Key
from accord.flows.links import await_link, canonical_of, note_keys
from accord.flows.systems import Systems, systems
from accord.store import Database

SYSTEM = "metering"
EVENT_TYPE = "usage.recorded"
FLOW = "usage_reporting"
REPORTED = "reported"
ALREADY_REPORTED = "already_reported"


def usage_id_for(source_id: str) -> str:
    return derived_id(EntityType.USAGE_RECORD, SYSTEM, source_id)


def usage_event(source_id: str, *, account_id: str, sku: str, quantity: Decimal,
                occurred_at: datetime) -> InboundEvent:
    """A usage record as the metering source delivers it."""
    return InboundEvent(system=SYSTEM, event_id=f"usage:{source_id}", event_type=EVENT_TYPE,
                        occurred_at=occurred_at,
                        payload={"id": source_id, "account_id": account_id, "sku": sku,
                                 "quantity": format(quantity, "f"),
                                 "occurred_at": occurred_at.isoformat()})


def describe(event: InboundEvent) -> Delivery:
    payload = dict(event.payload)
    account_id = str(payload.get("account_id") or "")
    return Delivery(system=event.system, external_event_id=event.event_id,
                    event_type=event.event_type, payload=payload,
                    occurred_at=event.occurred_at,
                    keys={Key.USAGE_ID: str(payload.get("id") or event.event_id),
                          Key.ACCOUNT_ID: account_id},
                    # ordered after the account's closed-won flow, which creates the customer
                    customer=customer_id_for(account_id) if account_id else None)


@step("stripe", "metered_item", entity=Key.USAGE_ID)
def metered_item(_call: StepCall, stripe_customer: str, sku: str) -> dict[str, str]:
    """The customer's live subscription and its metered item billing ``sku``."""
    found = systems()
    entry = found.skus.entry(sku, "sku")
    if not entry.meter:
        raise DataQualityError("sku", f"{sku} is not a usage SKU (it names no billing meter)",
                               owner=Team.MASTER_DATA)
    subscription = current_subscription(found.stripe, stripe_customer)
    for item in (subscription.get("items") or {}).get("data") or []:
        recurring = (item.get("price") or {}).get("recurring") or {}
        if (item.get("metadata") or {}).get("sku") == sku and \
                recurring.get("usage_type") == "metered":
            return {"subscription": str(subscription["id"]), "item": str(item["id"]),
                    "meter": str(recurring.get("meter") or "")}
    raise DataQualityError("sku", f"subscription {subscription['id']} has no metered item "
                           f"for {sku}: the deal did not sell it", owner=Team.REVENUE_OPERATIONS,
                           system="stripe")


@step("stripe", "report_usage", entity=Key.USAGE_ID)
def report_usage(_call: StepCall, usage: dict[str, Any], stripe_customer: str) -> str:
    """One meter event, ``identifier`` = the usage record's canonical id. Stripe refuses a
    second event with the same identifier: that record was reported already."""
    found = systems()
    model = UsageRecord.model_validate(usage)
    event_name = found.skus.entry(model.product_sku, "sku").meter or ""
    try:
        found.stripe.report_usage(model, event_name=event_name,
                                  stripe_customer_id=stripe_customer)
    except DataQualityError as error:
        if error.field == "identifier":
            return ALREADY_REPORTED
        raise
    return REPORTED


@handles(SYSTEM, EVENT_TYPE, describe=describe)
@flow(FLOW)
def usage_reporting(run: FlowInput) -> dict[str, Any]:
    payload = run.payload
    account_id = run.keys[Key.ACCOUNT_ID]
    customer_id = canonical_of("salesforce", EntityType.CUSTOMER.value, account_id) \
        or customer_id_for(account_id)
    stripe_customer = await_link(customer_id, "stripe", "customer")
    sku = str(payload["sku"])
    item = metered_item(stripe_customer, sku)
    subscription_id = canonical_of("stripe", EntityType.SUBSCRIPTION.value,
                                   item["subscription"]) or item["subscription"]
    usage = UsageRecord(id=usage_id_for(run.keys[Key.USAGE_ID]), subscription_id=subscription_id,
                        product_sku=sku, quantity=Decimal(str(payload["quantity"])),
                        occurred_at=datetime.fromisoformat(str(payload["occurred_at"])),
                        source=SYSTEM)
    note_keys({Key.CUSTOMER_ID: customer_id, Key.SUBSCRIPTION_ID: subscription_id,
               Key.USAGE_RECORD_ID: usage.id})
    outcome = report_usage(usage.model_dump(mode="json"), stripe_customer)
    return {"outcome": outcome, "usage_id": usage.id, "quantity": str(usage.quantity),
            "subscription": item["subscription"]}


def deliver_usage(database: Database, records: Iterable[Any], accounts: dict[str, str]
                  ) -> list[Intake]:
    """Deliver scenario usage records (:class:`accord.demo.scenario.UsagePlan`) as the
    product's metering would; ``accounts``: scenario account ref -> Salesforce id."""
    started: list[Intake] = []
    for record in records:
        at = datetime.combine(record.occurred_on, time(12), UTC)
        intake = accept(database, usage_event(
            record.ref, account_id=accounts[record.account_ref], sku=record.sku,
            quantity=Decimal(record.quantity), occurred_at=at))
        if intake is not None:
            started.append(intake)
    return started


def close_usage_periods(found: Systems, stripe_customers: Iterable[str]) -> int:
    """Advance each customer's Stripe test clock to the end of its subscription's current
    period: Stripe renews it, billing the period's metered usage (the overage line) with the
    next period's licensed items. Test mode only (the demo and tests); returns how many."""
    v1 = found.stripe.v1
    closed = 0
    for stripe_customer in stripe_customers:
        customer = v1.customers.retrieve(stripe_customer)
        clock = getattr(customer, "test_clock", None)
        if not clock:
            continue
        live = [s for s in v1.subscriptions.list(params={"customer": stripe_customer}).data
                if s.status in ("active", "past_due", "trialing")]
        if not live:
            continue
        end = max(int(item.current_period_end) for item in live[0]["items"].data)
        v1.test_helpers.test_clocks.advance(str(clock), params={"frozen_time": end})
        closed += 1
    return closed


def bill_usage(found: Systems, database: Database, records: Sequence[Any],
               accounts: dict[str, str]) -> int:
    """The month's usage, end to end (demo and tests): deliver the records, wait for their
    flows, then close the usage customers' periods so Stripe bills the overage. Returns how
    many periods were closed."""
    for intake in deliver_usage(database, records, accounts):
        with contextlib.suppress(Exception):  # a failed flow is in the exception queue
            DBOS.retrieve_workflow(intake.workflow_id).get_result()
    customers: set[str] = set()
    for account_ref in sorted({record.account_ref for record in records}):
        account = found.salesforce.get("Account", accounts[account_ref])
        if account.get("Stripe_Customer_Id__c"):
            customers.add(str(account["Stripe_Customer_Id__c"]))
    return close_usage_periods(found, sorted(customers))


__all__ = ["ALREADY_REPORTED", "EVENT_TYPE", "FLOW", "REPORTED", "SYSTEM", "bill_usage",
           "close_usage_periods", "deliver_usage", "describe", "usage_event", "usage_id_for",
           "usage_reporting"]
