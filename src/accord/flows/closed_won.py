"""Closed-won -> active subscription.

Validate the deal (mandatory fields, SKU mapping, legal entity), enrich it, match or create
the customer (no duplicates), create the customer in Stripe and in NetSuite (the subsidiary
of its legal entity), create the Stripe subscription, and write the Stripe and NetSuite ids
and the contract status back to Salesforce (noted in the echo ledger).

Every step is one idempotent call: Stripe creates carry ``accord:<canonical id>:<action>``,
NetSuite upserts on ``externalId`` = the canonical id, and canonical ids are derived from
the Salesforce ids, so a redelivered or replayed deal changes nothing.
"""

from __future__ import annotations

from typing import Any

from accord.canonical.catalog import ProductKind
from accord.canonical.contract import Contract
from accord.canonical.ids import EntityType
from accord.canonical.party import Customer
from accord.connectors.base import InboundEvent
from accord.connectors.salesforce.intake import CLOSED_WON
from accord.connectors.salesforce.mapping import BillingStatus
from accord.connectors.salesforce.writeback import AccountLinks, OpportunityLinks, WriteBack
from accord.engine import FlowInput, Milestone, StepCall, flow, step
from accord.engine.context import current
from accord.engine.dispatch import handles
from accord.engine.inbox import Delivery
from accord.flows import amendments, stripe_setup
from accord.flows.amendments import DealType, deal_type
from accord.flows.deals import (
    Order,
    contract_id_for,
    customer_id_for,
    fetch_deal,
    subscription_id_for,
    validate,
)
from accord.flows.keys import Key
from accord.flows.links import link, lookup, note_keys, note_written
from accord.flows.systems import systems
from accord.registry.golden import GoldenRecords
from accord.registry.resolve import resolve_customer

FLOW = "closed_won"
MATCH_CUSTOMER_STEP = "accord.match_customer"
"""The step that matches a deal's account to a customer: a probable duplicate stops there,
for master data to decide (the KPIs count these as unmatched customers)."""
CREATED = "created"
AMENDED = "amended"
UNCHANGED = "unchanged"


def describe(event: InboundEvent) -> Delivery:
    record = dict(event.payload.get("record") or {})
    opportunity_id = str(record.get("Id") or event.event_id)
    account_id = str(record.get("AccountId") or "")
    return Delivery(system=event.system, external_event_id=event.event_id,
                    event_type=event.event_type, payload=dict(event.payload),
                    occurred_at=event.occurred_at, keys={Key.OPPORTUNITY_ID: opportunity_id},
                    customer=customer_id_for(account_id) if account_id else None)


@step("salesforce", "read_deal", entity=Key.OPPORTUNITY_ID)
def read_deal(_call: StepCall, opportunity_id: str) -> dict[str, Any]:
    return fetch_deal(systems().salesforce, opportunity_id)


def _order(deal: dict[str, Any]) -> Order:
    found = systems()
    return validate(deal, skus=found.skus, entities=found.entities,
                    default_legal_entity=found.salesforce.settings.legal_entity)


@step("salesforce", "validate_deal", entity=Key.OPPORTUNITY_ID)
def validate_deal(_call: StepCall, deal: dict[str, Any]) -> dict[str, Any]:
    order = _order(deal)
    return {"customer": order.customer.model_dump(mode="json"),
            "contract": order.contract.model_dump(mode="json")}


@step("accord", "match_customer", entity=Key.OPPORTUNITY_ID, name=MATCH_CUSTOMER_STEP)
def match_customer(call: StepCall, customer: dict[str, Any], account_id: str) -> str:
    """The canonical customer: an existing one (xref, tax id, domain and name) or this new
    one. A probable duplicate raises for master data; nothing is created."""
    model = Customer.model_validate(customer)
    with current().database.session() as session:
        resolved = resolve_customer(session, model, source_system="salesforce",
                                    source_id=account_id)
        GoldenRecords(session, systems().policy).merge(
            resolved.canonical_id, EntityType.CUSTOMER, "salesforce",
            model.model_dump(mode="json"), source_id=account_id, caused_by=call.correlation_id)
    return resolved.canonical_id


@step("stripe", "create_customer", entity=Key.OPPORTUNITY_ID)
def create_stripe_customer(_call: StepCall, customer: dict[str, Any], account_id: str,
                           contract: dict[str, Any]) -> str:
    found = systems()
    model = Customer.model_validate(customer)
    clock = None
    if found.settings.use_test_clocks:
        start = stripe_setup.start_of(Contract.model_validate(contract))
        clock = stripe_setup.create_test_clock(found.stripe, model.id, start)
    return stripe_setup.create_customer(found.stripe, model,
                                        payment_method=found.payment_method_for(account_id),
                                        test_clock=clock)


@step("netsuite", "upsert_customer", entity=Key.OPPORTUNITY_ID)
def upsert_netsuite_customer(_call: StepCall, customer: dict[str, Any]) -> str:
    model = Customer.model_validate(customer)
    return systems().erp(model.legal_entity, model.currency).post_customer(model)


@step("stripe", "ensure_price", entity=Key.OPPORTUNITY_ID)
def ensure_price(_call: StepCall, contract: dict[str, Any], index: int) -> str:
    found = systems()
    line = Contract.model_validate(contract).lines[index]
    entry = found.skus.entry(line.product_sku)
    product = stripe_setup.product_for(line.product_sku, entry)
    stripe_product = stripe_setup.ensure_product(found.stripe, product)
    price = stripe_setup.price_for(product, stripe_setup.unit_price(line))
    return stripe_setup.ensure_price(found.stripe, price, stripe_product,
                                     meter=stripe_setup.meter_for(found.stripe, entry))


@step("stripe", "ensure_tax_rate", entity=Key.OPPORTUNITY_ID)
def ensure_tax_rate(_call: StepCall, legal_entity: str) -> str | None:
    found = systems()
    return stripe_setup.ensure_tax_rate(found.stripe, legal_entity,
                                        found.entities.get(legal_entity))


@step("stripe", "create_subscription", entity=Key.OPPORTUNITY_ID,
      milestone=Milestone.ORDER_ACTIVATED)
def create_subscription(_call: StepCall, contract: dict[str, Any], stripe_customer: str,
                        prices: list[str], tax_rate: str | None,
                        opportunity_id: str, charge_automatically: bool) -> dict[str, str]:
    found = systems()
    model = Contract.model_validate(contract)
    lines = [(line, found.skus.entry(line.product_sku), price)
             for line, price in zip(model.lines, prices, strict=True)]
    subscription_id = subscription_id_for(opportunity_id)
    params = stripe_setup.subscription_params(model, subscription_id,
                                              stripe_customer=stripe_customer, lines=lines,
                                              tax_rate=tax_rate, opportunity_id=opportunity_id,
                                              charge_automatically=charge_automatically)
    created = stripe_setup.create_subscription(found.stripe, subscription_id, params)
    return {"id": str(created["id"]), "status": str(created["status"])}


def _billing_status(stripe_status: str) -> BillingStatus:
    return {"active": BillingStatus.ACTIVE, "trialing": BillingStatus.ACTIVE,
            "past_due": BillingStatus.PAST_DUE, "unpaid": BillingStatus.PAST_DUE,
            "incomplete": BillingStatus.PAST_DUE, "canceled": BillingStatus.CANCELED
            }.get(stripe_status, BillingStatus.PENDING)


@step("salesforce", "write_back", entity=Key.OPPORTUNITY_ID, milestone=Milestone.CRM_UPDATED)
def write_back(_call: StepCall, account_id: str, opportunity_id: str, customer_id: str,
               stripe_customer: str, netsuite_customer: str, subscription: dict[str, str],
               contract_id: str) -> dict[str, Any]:
    status = _billing_status(subscription["status"])
    writer = WriteBack(systems().salesforce)
    account = AccountLinks(account_id=account_id, status=status, accord_id=customer_id,
                           stripe_customer_id=stripe_customer,
                           netsuite_customer_id=netsuite_customer)
    deal = OpportunityLinks(opportunity_id=opportunity_id, status=status,
                            accord_id=contract_id, stripe_subscription_id=subscription["id"])
    writer.account(account)
    writer.opportunity(deal)
    return {"account": account.fields(), "opportunity": deal.fields()}


@step("stripe", "amend_subscription", entity=Key.OPPORTUNITY_ID,
      milestone=Milestone.ORDER_ACTIVATED)
def amend_subscription(_call: StepCall, contract: dict[str, Any], stripe_customer: str,
                       prices: list[str], kind: str) -> dict[str, str]:
    client = systems().stripe
    model = Contract.model_validate(contract)
    subscription = amendments.current_subscription(client, stripe_customer)
    recurring = frozenset(sku for sku, entry in systems().skus.skus.items()
                          if entry.kind in (ProductKind.RECURRING, ProductKind.USAGE))
    params = amendments.amendment_params(subscription, model, prices, DealType(kind),
                                         recurring)
    updated = amendments.amend(client, str(subscription["id"]), model.id, params)
    return {"id": str(updated["id"]), "status": str(updated["status"])}


def amend_deal(kind: DealType, contract: dict[str, Any], account_id: str,
               opportunity_id: str, customer_id: str, stripe_customer: str) -> dict[str, str]:
    """An upgrade, add-on or renewal of an existing customer's subscription."""
    prices = ([ensure_price(contract, index) for index in range(len(contract["lines"]))]
              if kind is DealType.UPGRADE else [])
    subscription = amend_subscription(contract, stripe_customer, prices, kind.value)
    link(contract["id"], EntityType.CONTRACT.value, "salesforce", opportunity_id)
    erp = systems().erp_instance(contract["legal_entity"], contract["currency"])
    netsuite_customer = lookup(customer_id, erp) or ""
    written = write_back(account_id, opportunity_id, customer_id, stripe_customer,
                         netsuite_customer, subscription, contract["id"])
    note_written("salesforce", EntityType.CONTRACT.value, opportunity_id,
                 written["opportunity"])
    return {"outcome": AMENDED, "customer_id": customer_id, "subscription": subscription["id"],
            "status": subscription["status"], "kind": kind.value}


@handles("salesforce", CLOSED_WON, describe=describe)
@flow(FLOW)
def closed_won(run: FlowInput) -> dict[str, str]:
    opportunity_id = run.keys[Key.OPPORTUNITY_ID]
    deal = read_deal(opportunity_id)
    subscription_id = subscription_id_for(opportunity_id)
    written = deal["opportunity"].get("Stripe_Subscription_Id__c")
    handled = deal["opportunity"].get("Accord_Id__c") == contract_id_for(opportunity_id)
    if written and (handled or lookup(subscription_id, "stripe") == written):
        # the change is accord's own write-back coming back (or a re-run poll): no news
        return {"outcome": UNCHANGED, "subscription": str(written)}
    checked = validate_deal(deal)
    account_id = str(deal["account"]["Id"])
    customer_id = match_customer(checked["customer"], account_id)
    customer = {**checked["customer"], "id": customer_id}
    contract = {**checked["contract"], "customer_id": customer_id}
    note_keys({Key.CUSTOMER_ID: customer_id, Key.SUBSCRIPTION_ID: subscription_id})

    stripe_customer = lookup(customer_id, "stripe")
    kind = deal_type(deal["opportunity"])
    if kind is not DealType.NEW and stripe_customer is not None:
        return amend_deal(kind, contract, account_id, opportunity_id, customer_id,
                          stripe_customer)
    if stripe_customer is None:
        stripe_customer = create_stripe_customer(customer, account_id, contract)
        link(customer_id, EntityType.CUSTOMER.value, "stripe", stripe_customer)
    erp = systems().erp_instance(customer["legal_entity"], customer["currency"])
    netsuite_customer = upsert_netsuite_customer(customer)
    link(customer_id, EntityType.CUSTOMER.value, erp, netsuite_customer)
    note_written(erp, EntityType.CUSTOMER.value, netsuite_customer, customer)

    prices = [ensure_price(contract, index) for index in range(len(contract["lines"]))]
    tax_rate = ensure_tax_rate(contract["legal_entity"])
    charge = systems().payment_method_for(account_id) is not None
    subscription = create_subscription(contract, stripe_customer, prices, tax_rate,
                                       opportunity_id, charge)
    link(subscription_id, EntityType.SUBSCRIPTION.value, "stripe", subscription["id"])
    link(contract["id"], EntityType.CONTRACT.value, "salesforce", opportunity_id)

    written = write_back(account_id, opportunity_id, customer_id, stripe_customer,
                         netsuite_customer, subscription, contract["id"])
    note_written("salesforce", EntityType.CUSTOMER.value, account_id, written["account"])
    note_written("salesforce", EntityType.CONTRACT.value, opportunity_id,
                 written["opportunity"])
    return {"outcome": CREATED, "customer_id": customer_id, "stripe_customer": stripe_customer,
            "netsuite_customer": netsuite_customer, "subscription": subscription["id"],
            "status": subscription["status"]}


__all__ = ["FLOW", "MATCH_CUSTOMER_STEP", "closed_won", "describe"]
