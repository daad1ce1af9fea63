"""CRM account changes into the golden record, and on to billing and the ERP, under the
ownership policy.

The CRM's change poll turns each changed account into a ``customer.changed`` event. The flow
reads the account, maps it to the canonical customer and merges it into the customer's
golden record with the CRM as source:

* fields the CRM owns (legal name, addresses, contacts, domain...) that changed are
  accepted and propagated: the billing customer is updated and the ERP customer upserted
  (that write is noted, so the ERP's change poll sees accord's echo, not news);
* changed fields the CRM does not own at the customer's stage (an invoiced customer's tax
  registration and status belong to the ERP) are ignored, and not propagated;
* a change that is only accord's own write-back (billing status, the billing and ERP ids
  written on the account) is recognised as an echo from the write ledger: nothing is
  written anywhere, so there is no update loop.

Accounts accord has no customer for (prospects, accounts without a won deal) are skipped.
"""

from __future__ import annotations

from typing import Any

from accord.canonical.events import EventType
from accord.canonical.ids import EntityType
from accord.canonical.party import Customer
from accord.canonical.roles import Role
from accord.canonical.upcasting import load
from accord.engine import FlowInput, StepCall, flow, step
from accord.engine.context import current
from accord.engine.dispatch import handles
from accord.flows.keys import Key, required_key
from accord.flows.links import lookup, note_written
from accord.flows.systems import systems
from accord.registry.echo import holds_own_writes
from accord.registry.golden import GoldenRecords

FLOW = "crm_account_sync"
ACTIVE = "active"

PROPAGATED = "propagated"
ECHO = "echo"
IGNORED = "ignored"
UNCHANGED = "unchanged"
NOT_CUSTOMER = "not_accord_customer"


@step(Role.CRM, "read_account", entity=Key.ACCOUNT_ID)
def read_account(_call: StepCall, crm: str, account_id: str,
                 legal_entity: str) -> dict[str, Any]:
    """The account as the CRM has it now (a later change is read by its own event)."""
    read = systems().crm(crm).read_account(account_id, legal_entity=legal_entity)
    return {"customer": read.customer.model_dump(mode="json"), "record": dict(read.record)}


@step("accord", "merge_account", entity=Key.ACCOUNT_ID)
def merge_account(call: StepCall, crm: str, customer_id: str, account_id: str,
                  read: dict[str, Any], stage: str | None) -> dict[str, Any]:
    """Merge the account into the golden customer; report what changed, what was ignored
    (not the CRM's to change) and whether the change was accord's own write-back."""
    with current().database.session() as session:
        golden = GoldenRecords(session, systems().policy)
        incoming = {**read["customer"], "id": customer_id}
        outcome = golden.merge(customer_id, EntityType.CUSTOMER, crm, incoming,
                               source_id=account_id, stage=stage,
                               caused_by=call.correlation_id)
        echo = holds_own_writes(session, crm, EntityType.CUSTOMER, account_id, read["record"])
        after = golden.current(customer_id)
    return {"version": outcome.version, "changed": list(outcome.changed),
            "ignored": list(outcome.ignored), "echo": echo,
            "customer": {**(after.data if after else {}), "id": customer_id}}


@step("accord", "legal_entity_of", entity=Key.ACCOUNT_ID)
def legal_entity_of(_call: StepCall, customer_id: str, default: str) -> str:
    with current().database.session() as session:
        golden = GoldenRecords(session, systems().policy).current(customer_id)
    return str((golden.data if golden else {}).get("legal_entity") or default)


@step(Role.BILLING, "propagate_customer", entity=Key.ACCOUNT_ID)
def update_billing_customer(_call: StepCall, billing: str, billing_customer: str,
                            customer: dict[str, Any], version: int) -> None:
    systems().billing(billing).update_customer(billing_customer,
                                               load(Customer, customer), version)


@step(Role.ERP, "propagate_customer", entity=Key.ACCOUNT_ID)
def upsert_erp_customer(_call: StepCall, erp: str, customer: dict[str, Any]) -> str:
    return systems().erp(erp).post_customer(load(Customer, customer))


@handles(Role.CRM, EventType.CUSTOMER_CHANGED)
@flow(FLOW)
def crm_account_sync(run: FlowInput) -> dict[str, Any]:
    found = systems()
    crm = run.system or found.default(Role.CRM)
    account_id = required_key(run, Key.ACCOUNT_ID)
    customer_id = run.keys.get(Key.CUSTOMER_ID)
    if customer_id is None:
        return {"outcome": NOT_CUSTOMER}
    legal_entity = legal_entity_of(customer_id, found.crm(crm).default_legal_entity)
    read = read_account(crm, account_id, legal_entity)
    customer = read["customer"]
    entity, currency = customer["legal_entity"], customer["currency"]
    erp = found.target(Role.ERP, entity, currency)
    erp_customer = lookup(customer_id, erp)
    # once set up for invoicing, finance owns the customer's tax registration and status
    stage = ACTIVE if erp_customer is not None else None
    merged = merge_account(crm, customer_id, account_id, read, stage)
    changed, ignored = merged["changed"], merged["ignored"]
    if not changed:
        outcome = IGNORED if ignored else ECHO if merged["echo"] else UNCHANGED
        return {"outcome": outcome, "ignored": ignored, "customer_id": customer_id}
    golden = merged["customer"]
    billing = found.target(Role.BILLING, entity, currency)
    billing_customer = lookup(customer_id, billing)
    if billing_customer is not None:
        update_billing_customer(billing, billing_customer, golden, merged["version"])
    if erp_customer is not None:
        upserted = upsert_erp_customer(erp, golden)
        note_written(erp, EntityType.CUSTOMER.value, upserted, golden)
    return {"outcome": PROPAGATED, "changed": changed, "ignored": ignored,
            "customer_id": customer_id, "version": merged["version"]}


__all__ = ["ECHO", "FLOW", "IGNORED", "NOT_CUSTOMER", "PROPAGATED", "UNCHANGED",
           "crm_account_sync"]
