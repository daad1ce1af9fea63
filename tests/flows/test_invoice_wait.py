"""An invoice whose customer is not in NetSuite yet waits for it (durably) instead of
failing, and posts once the customer is there; a customer that never comes ends the wait in
an exception for finance operations."""

from __future__ import annotations

import pytest
from dbos import DBOS

from accord.canonical.ids import EntityType
from accord.canonical.party import Customer
from accord.engine import FlowFailed, FlowInput, run_flow
from accord.flows.invoice_posting import invoice_posting
from accord.flows.systems import FlowSettings, Systems
from accord.registry.xref import Xrefs
from tests.flows.vendors import invoice_id_for

from .support import billing_only_customer, exceptions


def _billed_customer(engine, found: Systems, name: str) -> tuple[Customer, str]:
    """A customer accord knows in Stripe (with a paid invoice) but not yet in NetSuite."""
    customer, stripe_customer = billing_only_customer(engine, found, name)
    v1 = found.stripe.v1
    v1.invoice_items.create(params={"customer": stripe_customer, "amount": 12345,
                                    "currency": "usd", "description": "Onboarding"})
    invoice = v1.invoices.create(params={"customer": stripe_customer,
                                         "pending_invoice_items_behavior": "include"})
    return customer, str(v1.invoices.finalize_invoice(invoice.id).id)


def _steps(workflow_id: str) -> list[str]:
    return [str(step["function_name"]) for step in DBOS.list_workflow_steps(workflow_id)]


def test_posting_waits_for_the_customer_then_posts(engine, make_systems) -> None:
    found: Systems = make_systems(settings=FlowSettings(wait_interval=0.05, wait_attempts=2000))
    customer, stripe_invoice = _billed_customer(engine, found, "Late Customer Inc.")
    handle = run_flow(invoice_posting, FlowInput(
        correlation_id=f"test:{stripe_invoice}", keys={"billing_invoice_id": stripe_invoice},
        system="stripe"))
    # the flow has looked twice and is sleeping durably between looks (read from its own
    # step records; the test itself never sleeps)
    while _steps(handle.workflow_id).count("accord.lookup") < 2:
        continue
    internal = found.netsuite["netsuite"].post_customer(customer)
    with engine.database.session() as session:
        Xrefs(session).link(customer.id, EntityType.CUSTOMER, "netsuite", internal)
    result = handle.get_result()
    record = found.netsuite["netsuite"].client.get_by_external_id(
        "invoice", invoice_id_for(stripe_invoice))
    assert result["erp_invoice"] == str(record["id"])
    assert str(record["total"]) == "123.45"
    assert exceptions(engine.database) == []


def test_a_customer_that_never_comes_is_an_exception(engine, make_systems) -> None:
    found: Systems = make_systems(settings=FlowSettings(wait_interval=0.01, wait_attempts=3))
    _customer, stripe_invoice = _billed_customer(engine, found, "Never Inc.")
    handle = run_flow(invoice_posting, FlowInput(
        correlation_id=f"test:{stripe_invoice}", keys={"billing_invoice_id": stripe_invoice},
        system="stripe"))
    with pytest.raises(FlowFailed):
        handle.get_result()
    (record,) = exceptions(engine.database)
    assert record.owner == "finance_operations"
    assert "did not reach netsuite" in record.reason
