"""A deal won in the CRM -> an active subscription in billing.

Read the deal from the CRM that reported it, validate and enrich it, match or create the
customer (no duplicates), create the customer in billing and in the ERP (the subsidiary of
its legal entity), the subscription in billing, and write the billing and ERP ids and the
billing status back to the CRM (noted in the echo ledger). An upgrade or renewal of a
customer billing already knows changes its live subscription instead.

Every step is one idempotent call: billing creates carry ``accord:<canonical id>:<action>``,
the ERP upserts on the canonical id, and canonical ids are derived from the CRM's ids, so a
redelivered or replayed deal changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from accord.canonical.catalog import ProductKind
from accord.canonical.contract import Contract
from accord.canonical.deals import (
    BillingStatus,
    CustomerLinks,
    Deal,
    DealLinks,
    DealType,
    SubscriptionRef,
    TaxRate,
)
from accord.canonical.events import EventType
from accord.canonical.ids import EntityType
from accord.canonical.party import Customer
from accord.canonical.roles import Role
from accord.canonical.upcasting import load
from accord.engine import FlowInput, Milestone, StepCall, flow, step
from accord.engine.context import current
from accord.engine.dispatch import handles
from accord.flows.catalog import price_for, product_for, unit_price
from accord.flows.deals import validate
from accord.flows.identities import subscription_id_for
from accord.flows.keys import Key, required_key
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


@step(Role.CRM, "read_deal", entity=Key.DEAL_ID)
def read_deal(_call: StepCall, crm: str, deal_id: str) -> dict[str, Any]:
    return systems().crm(crm).read_deal(deal_id).model_dump(mode="json")


@step(Role.CRM, "validate_deal", entity=Key.DEAL_ID)
def validate_deal(_call: StepCall, crm: str, deal: dict[str, Any]) -> dict[str, Any]:
    found = systems()
    order = validate(Deal.model_validate(deal), skus=found.skus, entities=found.entities)
    return {"legal_entity": order.deal.contract.legal_entity,
            "tax": TaxRate(code=order.deal.contract.legal_entity, country=order.entity.country,
                           jurisdiction=order.entity.tax_jurisdiction,
                           percentage=order.entity.tax_rate).model_dump(mode="json")}


@step("accord", "match_customer", entity=Key.DEAL_ID, name=MATCH_CUSTOMER_STEP)
def match_customer(call: StepCall, crm: str, customer: dict[str, Any],
                   account_id: str) -> str:
    """The canonical customer: an existing one (xref, tax id, domain and name) or this new
    one. A probable duplicate raises for master data; nothing is created."""
    model = load(Customer, customer)
    with current().database.session() as session:
        resolved = resolve_customer(session, model, source_system=crm, source_id=account_id)
        GoldenRecords(session, systems().policy).merge(
            resolved.canonical_id, EntityType.CUSTOMER, crm, model.model_dump(mode="json"),
            source_id=account_id, caused_by=call.correlation_id)
    return resolved.canonical_id


def _start(contract: Contract) -> datetime:
    return datetime.combine(contract.start_date, time(), UTC)


@step(Role.BILLING, "create_customer", entity=Key.DEAL_ID)
def create_billing_customer(_call: StepCall, billing: str, customer: dict[str, Any],
                            account_id: str, contract: dict[str, Any]) -> str:
    found = systems()
    return found.billing(billing).create_customer(
        load(Customer, customer),
        starts_at=_start(load(Contract, contract)),
        payment_method=found.payment_method_for(account_id))


@step(Role.ERP, "upsert_customer", entity=Key.DEAL_ID)
def upsert_erp_customer(_call: StepCall, erp: str, customer: dict[str, Any]) -> str:
    return systems().erp(erp).post_customer(load(Customer, customer))


@step(Role.BILLING, "ensure_price", entity=Key.DEAL_ID)
def ensure_price(_call: StepCall, billing: str, contract: dict[str, Any], index: int,
                 known: dict[str, str]) -> dict[str, str]:
    """The billing price of a contract line (its product first): ``known`` holds the
    billing ids the identity registry already has, by canonical id; returns every id
    used."""
    found = systems()
    adapter = found.billing(billing)
    line = load(Contract, contract).lines[index]
    entry = found.skus.entry(line.product_sku)
    product = product_for(line.product_sku, entry)
    price = price_for(product, unit_price(line))
    product_ref = known.get(product.id) or adapter.ensure_product(product)
    price_ref = known.get(price.id)
    if price_ref is None:
        meter = (adapter.ensure_meter(entry.meter, entry.name)
                 if entry.kind is ProductKind.USAGE and entry.meter else None)
        price_ref = adapter.ensure_price(price, product_ref, meter=meter)
    return {product.id: product_ref, price.id: price_ref, "price": price_ref}


@step(Role.BILLING, "ensure_tax_rate", entity=Key.DEAL_ID)
def ensure_tax_rate(_call: StepCall, billing: str, tax: dict[str, Any]) -> str | None:
    return systems().billing(billing).ensure_tax_rate(TaxRate.model_validate(tax))


@step(Role.BILLING, "create_subscription", entity=Key.DEAL_ID,
      milestone=Milestone.ORDER_ACTIVATED)
def create_subscription(_call: StepCall, billing: str, contract: dict[str, Any],
                        billing_customer: str, prices: list[str], tax_rate: str | None,
                        deal_id: str, subscription_id: str,
                        charge_automatically: bool) -> dict[str, Any]:
    found = systems()
    model = load(Contract, contract)
    lines = [(line, found.skus.entry(line.product_sku).kind, price)
             for line, price in zip(model.lines, prices, strict=True)]
    created = found.billing(billing).create_subscription(
        model, subscription_id, billing_customer_id=billing_customer, lines=lines,
        tax_rate=tax_rate, deal_id=deal_id, charge_automatically=charge_automatically)
    return created.model_dump(mode="json")


@step(Role.CRM, "write_back", entity=Key.DEAL_ID, milestone=Milestone.CRM_UPDATED)
def write_back(_call: StepCall, crm: str, account: dict[str, Any],
               deal: dict[str, Any]) -> dict[str, Any]:
    adapter = systems().crm(crm)
    return {"account": adapter.write_back_account(CustomerLinks.model_validate(account)),
            "deal": adapter.write_back_deal(DealLinks.model_validate(deal))}


@step(Role.BILLING, "amend_subscription", entity=Key.DEAL_ID,
      milestone=Milestone.ORDER_ACTIVATED)
def amend_subscription(_call: StepCall, billing: str, contract: dict[str, Any],
                       billing_customer: str, prices: list[str], kind: str) -> dict[str, Any]:
    found = systems()
    recurring = frozenset(sku for sku, entry in found.skus.skus.items()
                          if entry.kind in (ProductKind.RECURRING, ProductKind.USAGE))
    amended = found.billing(billing).amend_subscription(
        billing_customer, load(Contract, contract), prices, DealType(kind), recurring)
    return amended.model_dump(mode="json")


def prices_of(billing: str, contract: dict[str, Any]) -> list[str]:
    """The billing price of each line, created on demand and remembered in the registry."""
    prices = []
    for index, line in enumerate(contract["lines"]):
        entry = systems().skus.entry(line["product_sku"])
        product = product_for(line["product_sku"], entry)
        price = price_for(product, unit_price(load(Contract, contract).lines[index]))
        known = {canonical: found for canonical in (product.id, price.id)
                 if (found := lookup(canonical, billing)) is not None}
        used = ensure_price(billing, contract, index, known)
        link(product.id, EntityType.PRODUCT.value, billing, used[product.id])
        link(price.id, EntityType.PRICE.value, billing, used[price.id])
        prices.append(used["price"])
    return prices


def amend_deal(kind: DealType, crm: str, billing: str, deal: Deal, contract: dict[str, Any],
               customer_id: str, billing_customer: str) -> dict[str, str]:
    """An upgrade or renewal of an existing customer's subscription."""
    prices = prices_of(billing, contract) if kind is DealType.UPGRADE else []
    subscription = SubscriptionRef.model_validate(
        amend_subscription(billing, contract, billing_customer, prices, kind.value))
    link(contract["id"], EntityType.CONTRACT.value, crm, deal.deal_id)
    erp = systems().target(Role.ERP, contract["legal_entity"], contract["currency"])
    erp_customer = lookup(customer_id, erp)
    status = BillingStatus.of(subscription.status)
    written = write_back(crm, CustomerLinks(
        account_id=deal.account_id, status=status, accord_id=customer_id,
        billing_customer_id=billing_customer, erp_customer_id=erp_customer
    ).model_dump(mode="json"), DealLinks(
        deal_id=deal.deal_id, status=status, accord_id=contract["id"],
        billing_subscription_id=subscription.id).model_dump(mode="json"))
    note_written(crm, EntityType.CONTRACT.value, deal.deal_id, written["deal"])
    return {"outcome": AMENDED, "customer_id": customer_id, "subscription": subscription.id,
            "status": subscription.status.value, "kind": kind.value}


@handles(Role.CRM, EventType.DEAL_CLOSED_WON)
@flow(FLOW)
def closed_won(run: FlowInput) -> dict[str, str]:
    crm = run.system or systems().default(Role.CRM)
    deal_id = required_key(run, Key.DEAL_ID)
    deal = Deal.model_validate(read_deal(crm, deal_id))
    subscription_id = subscription_id_for(crm, deal_id)
    if deal.written_subscription and (
            deal.written_contract == deal.contract.id
            or lookup(subscription_id, systems().target(
                Role.BILLING, deal.contract.legal_entity, deal.contract.currency))
            == deal.written_subscription):
        # the change is accord's own write-back (or a re-run poll): no news
        return {"outcome": UNCHANGED, "subscription": deal.written_subscription}
    checked = validate_deal(crm, deal.model_dump(mode="json"))
    customer_id = match_customer(crm, deal.customer.model_dump(mode="json"), deal.account_id)
    customer = {**deal.customer.model_dump(mode="json"), "id": customer_id}
    contract = {**deal.contract.model_dump(mode="json"), "customer_id": customer_id}
    note_keys({Key.CUSTOMER_ID: customer_id, Key.SUBSCRIPTION_ID: subscription_id})

    legal_entity, currency = checked["legal_entity"], deal.contract.currency
    billing = systems().target(Role.BILLING, legal_entity, currency)
    billing_customer = lookup(customer_id, billing)
    if deal.deal_type is not DealType.NEW and billing_customer is not None:
        return amend_deal(deal.deal_type, crm, billing, deal, contract, customer_id,
                          billing_customer)
    if billing_customer is None:
        billing_customer = create_billing_customer(billing, customer, deal.account_id,
                                                   contract)
        link(customer_id, EntityType.CUSTOMER.value, billing, billing_customer)
    erp = systems().target(Role.ERP, legal_entity, currency)
    erp_customer = upsert_erp_customer(erp, customer)
    link(customer_id, EntityType.CUSTOMER.value, erp, erp_customer)
    note_written(erp, EntityType.CUSTOMER.value, erp_customer, customer)

    prices = prices_of(billing, contract)
    tax_rate = ensure_tax_rate(billing, checked["tax"])
    charge = systems().payment_method_for(deal.account_id) is not None
    subscription = SubscriptionRef.model_validate(create_subscription(
        billing, contract, billing_customer, prices, tax_rate, deal_id, subscription_id,
        charge))
    link(subscription_id, EntityType.SUBSCRIPTION.value, billing, subscription.id)
    link(contract["id"], EntityType.CONTRACT.value, crm, deal_id)

    status = BillingStatus.of(subscription.status)
    written = write_back(crm, CustomerLinks(
        account_id=deal.account_id, status=status, accord_id=customer_id,
        billing_customer_id=billing_customer, erp_customer_id=erp_customer
    ).model_dump(mode="json"), DealLinks(
        deal_id=deal_id, status=status, accord_id=contract["id"],
        billing_subscription_id=subscription.id).model_dump(mode="json"))
    note_written(crm, EntityType.CUSTOMER.value, deal.account_id, written["account"])
    note_written(crm, EntityType.CONTRACT.value, deal_id, written["deal"])
    return {"outcome": CREATED, "customer_id": customer_id,
            "billing_customer": billing_customer, "erp_customer": erp_customer,
            "subscription": subscription.id, "status": subscription.status.value}


__all__ = ["AMENDED", "CREATED", "FLOW", "MATCH_CUSTOMER_STEP", "UNCHANGED", "closed_won"]
