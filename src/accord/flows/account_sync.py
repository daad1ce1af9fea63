"""Salesforce account changes into the golden record, and on to Stripe and NetSuite, under
the ownership policy.

A change poll on ``Account`` (``SystemModstamp``, durable cursor: :func:`account_poller`
with :func:`accord.flows.intake.poll`) turns each changed account into an
``account.changed`` event. The flow reads the account, maps it to the canonical customer and
merges it into the customer's golden record with source ``salesforce``:

* fields Salesforce owns (legal name, addresses, contacts, domain...) that changed are
  accepted and propagated: the Stripe customer is updated and the NetSuite customer upserted
  (that write is noted, so NetSuite's change poll sees accord's echo, not news);
* changed fields Salesforce does not own at the customer's stage (an invoiced customer's tax
  registration and status belong to NetSuite) are ignored, and not propagated;
* a change that is only accord's own write-back (billing status, the Stripe and NetSuite ids
  written on the account) is recognised as an echo from the write ledger: nothing is
  written anywhere, so there is no update loop.

Accounts accord has no customer for (prospects, accounts without a won deal) are skipped.
"""

from __future__ import annotations

from typing import Any

from accord.canonical.ids import EntityType
from accord.canonical.party import Customer
from accord.connectors.base import InboundEvent
from accord.connectors.salesforce.mapping import account_to_customer, strip_attributes
from accord.connectors.salesforce.streams import ACCOUNT_CHANGE_FIELDS, account_poller
from accord.connectors.stripe import mapping as stripe_mapping
from accord.connectors.stripe.client import idempotency_key
from accord.engine import FlowInput, StepCall, flow, step
from accord.engine.context import current
from accord.engine.dispatch import handles
from accord.engine.inbox import Delivery
from accord.errors import PermanentError
from accord.flows.intake import jsonable
from accord.flows.keys import Key
from accord.flows.links import lookup, note_written
from accord.flows.systems import systems
from accord.registry.echo import holds_own_writes
from accord.registry.golden import GoldenRecords
from accord.registry.xref import Xrefs

FLOW = "salesforce_account_sync"
EVENT_TYPE = "account.changed"
POLL_FIELDS = ACCOUNT_CHANGE_FIELDS
"""The account as accord reads it, with the fields accord writes back (echo recognition)."""
ACTIVE = "active"

PROPAGATED = "propagated"
ECHO = "echo"
IGNORED = "ignored"
UNCHANGED = "unchanged"
NOT_CUSTOMER = "not_accord_customer"


def _customer_of(account_id: str) -> str | None:
    with current().database.session() as session:
        return Xrefs(session).canonical_id("salesforce", EntityType.CUSTOMER, account_id)


def describe(event: InboundEvent) -> Delivery:
    record = dict(event.payload.get("record") or {})
    account_id = str(record.get("Id") or "")
    keys: dict[str, str] = {Key.ACCOUNT_ID: account_id}
    customer_id = _customer_of(account_id) if account_id else None
    if customer_id:
        keys[Key.CUSTOMER_ID] = customer_id
    return Delivery(system=event.system, external_event_id=event.event_id,
                    event_type=event.event_type, payload=jsonable(dict(event.payload)),
                    occurred_at=event.occurred_at, keys=keys, customer=customer_id)


@step("salesforce", "read_account", entity=Key.ACCOUNT_ID)
def read_account(_call: StepCall, account_id: str) -> dict[str, Any]:
    """The account as Salesforce has it now (a later change is read by its own event)."""
    if not account_id.isalnum():
        raise PermanentError(f"account id {account_id!r} is malformed", system="salesforce")
    client = systems().salesforce
    rows = list(client.query(f"SELECT {', '.join(POLL_FIELDS)} FROM Account "  # noqa: S608
                             f"WHERE Id = '{account_id}'"))
    if not rows:
        raise PermanentError(f"account {account_id} not found", system="salesforce")
    return strip_attributes(rows[0])


@step("accord", "merge_account", entity=Key.ACCOUNT_ID)
def merge_account(call: StepCall, customer_id: str, account: dict[str, Any],
                  stage: str | None) -> dict[str, Any]:
    """Merge the account into the golden customer; report what changed, what was ignored
    (not Salesforce's to change) and whether the change was accord's own write-back."""
    found = systems()
    account_id = str(account["Id"])
    with current().database.session() as session:
        golden = GoldenRecords(session, found.policy)
        before = golden.current(customer_id)
        default_entity = str((before.data if before else {}).get("legal_entity")
                             or found.salesforce.settings.legal_entity)
        customer = account_to_customer(account, default_legal_entity=default_entity)
        incoming = {**customer.model_dump(mode="json"), "id": customer_id}
        outcome = golden.merge(customer_id, EntityType.CUSTOMER, "salesforce", incoming,
                               source_id=account_id, stage=stage,
                               caused_by=call.correlation_id)
        echo = holds_own_writes(session, "salesforce", EntityType.CUSTOMER, account_id,
                                account)
        after = golden.current(customer_id)
    return {"version": outcome.version, "changed": list(outcome.changed),
            "ignored": list(outcome.ignored), "echo": echo,
            "customer": {**(after.data if after else {}), "id": customer_id}}


@step("stripe", "propagate_customer", entity=Key.ACCOUNT_ID)
def update_stripe_customer(_call: StepCall, stripe_customer: str, customer: dict[str, Any],
                           version: int) -> None:
    client = systems().stripe
    model = Customer.model_validate(customer)
    params = stripe_mapping.customer_params(model)
    options = {"idempotency_key": idempotency_key(model.id, f"update-v{version}")}
    service = client.v1.customers
    client.call(lambda: service.update(stripe_customer, params=params, options=options))


@step("netsuite", "propagate_customer", entity=Key.ACCOUNT_ID)
def upsert_netsuite_customer(_call: StepCall, customer: dict[str, Any]) -> str:
    model = Customer.model_validate(customer)
    return systems().erp(model.legal_entity, model.currency).post_customer(model)


@handles("salesforce", EVENT_TYPE, describe=describe)
@flow(FLOW)
def salesforce_account_sync(run: FlowInput) -> dict[str, Any]:
    account_id = run.keys[Key.ACCOUNT_ID]
    customer_id = run.keys.get(Key.CUSTOMER_ID)
    if customer_id is None:
        return {"outcome": NOT_CUSTOMER}
    account = read_account(account_id)
    found = systems()
    legal_entity = str(account.get("Legal_Entity__c") or found.salesforce.settings.legal_entity)
    erp = found.erp_instance(legal_entity, account.get("CurrencyIsoCode"))
    netsuite_customer = lookup(customer_id, erp)
    # once set up for invoicing, finance owns the customer's tax registration and status
    stage = ACTIVE if netsuite_customer is not None else None
    merged = merge_account(customer_id, account, stage)
    changed, ignored = merged["changed"], merged["ignored"]
    if not changed:
        outcome = IGNORED if ignored else ECHO if merged["echo"] else UNCHANGED
        return {"outcome": outcome, "ignored": ignored, "customer_id": customer_id}
    customer = merged["customer"]
    stripe_customer = lookup(customer_id, "stripe")
    if stripe_customer is not None:
        update_stripe_customer(stripe_customer, customer, merged["version"])
    if netsuite_customer is not None:
        upserted = upsert_netsuite_customer(customer)
        note_written(erp, EntityType.CUSTOMER.value, upserted, customer)
    return {"outcome": PROPAGATED, "changed": changed, "ignored": ignored,
            "customer_id": customer_id, "version": merged["version"]}


__all__ = ["EVENT_TYPE", "FLOW", "POLL_FIELDS", "account_poller", "describe",
           "salesforce_account_sync"]
