"""A posting flow that read its invoice before the upgrade to invoice.v2 posts it after.

The flow reads a Stripe invoice, checkpoints the canonical invoice and waits for the
customer in NetSuite, who never comes: the flow ends in an exception. Its checkpoint is then
put back the way accord wrote it before invoice.v2 (the same document without the v2 fields:
what the v1 model dumped, as ``tests/canonical/fixtures/invoice.v1.stripe.json`` shows of
the v1 producer), sealed as the engine seals checkpoints. The customer arrives, and
``accord replay`` forks the flow from its second step: the fork reuses the v1 checkpoint,
the posting step upcasts it, and NetSuite gets the invoice with the amounts Stripe billed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from dbos import DBOS
from sqlalchemy import text

from accord.canonical.ids import EntityType
from accord.canonical.party import Customer
from accord.engine import FlowFailed, FlowInput, run_flow
from accord.engine.replay import replay
from accord.engine.sealing import SealedSerializer
from accord.flows.invoice_posting import invoice_posting
from accord.flows.systems import FlowSettings, Systems
from accord.registry.xref import Xrefs
from accord.store.sealing import key_file_for
from tests.flows.support import billing_only_customer
from tests.flows.vendors import invoice_id_for

V2_LINE_FIELDS = ("tax_amount", "tax_code", "revenue_recognition")


def as_v1(invoice: dict[str, Any]) -> dict[str, Any]:
    """The invoice document as the v1 model wrote it."""
    return {**{key: value for key, value in invoice.items() if key != "schema_version"},
            "lines": [{key: value for key, value in line.items()
                       if key not in V2_LINE_FIELDS} for line in invoice["lines"]]}


def rewrite_read_checkpoint(engine: Any, sqlite_url: str, workflow_id: str) -> dict[str, Any]:
    """Put the flow's read_invoice checkpoint back to v1; return the v1 invoice."""
    seal = SealedSerializer(key_file_for(sqlite_url))
    with engine.database.session() as session:
        function_id, output = session.execute(text(
            "SELECT function_id, output FROM operation_outputs WHERE workflow_uuid = :w "
            "AND function_name LIKE '%read_invoice' ORDER BY function_id"),
            {"w": workflow_id}).one()
        read = seal.deserialize(output)
        assert read["invoice"]["schema_version"] == "v2"  # what today's producer wrote
        read["invoice"] = as_v1(read["invoice"])
        session.execute(text(
            "UPDATE operation_outputs SET output = :o WHERE workflow_uuid = :w "
            "AND function_id = :f"), {"o": seal.serialize(read), "w": workflow_id,
                                      "f": function_id})
        session.commit()
    v1: dict[str, Any] = read["invoice"]
    return v1


def taxed_invoice(engine: Any, found: Systems, name: str) -> tuple[Customer, str]:
    """A customer accord knows in Stripe but not yet in NetSuite, and a finalized invoice of
    two lines under a sales tax rate."""
    customer, stripe_customer = billing_only_customer(engine, found, name)
    v1 = found.stripe.v1
    rate = v1.tax_rates.create(params={"display_name": "Sales tax", "percentage": "8.25",
                                       "inclusive": False, "jurisdiction": "US-TX"})
    invoice = v1.invoices.create(params={"customer": stripe_customer,
                                         "default_tax_rates": [rate.id]})
    for amount, description in ((12345, "Onboarding"), (6789, "Training")):
        v1.invoice_items.create(params={"customer": stripe_customer, "amount": amount,
                                        "currency": "usd", "description": description,
                                        "invoice": invoice.id})
    return customer, str(v1.invoices.finalize_invoice(invoice.id).id)


def test_a_flow_that_read_a_v1_invoice_posts_it_after_the_upgrade(
        engine: Any, make_systems: Any, sqlite_url: str) -> None:
    found: Systems = make_systems(settings=FlowSettings(wait_interval=0.01, wait_attempts=2))
    customer, stripe_invoice = taxed_invoice(engine, found, "Before Upgrade Inc.")
    handle = run_flow(invoice_posting, FlowInput(
        correlation_id=f"test:{stripe_invoice}", keys={"billing_invoice_id": stripe_invoice},
        system="stripe"))
    with pytest.raises(FlowFailed):  # the customer never came
        handle.get_result()
    v1 = rewrite_read_checkpoint(engine, sqlite_url, handle.workflow_id)
    assert len(v1["lines"]) == 2
    assert Decimal(v1["tax_total"]["amount"]) > 0

    internal = found.netsuite["netsuite"].post_customer(customer)
    with engine.database.session() as session:
        Xrefs(session).link(customer.id, EntityType.CUSTOMER, "netsuite", internal)
    engine.timeline.flush()
    forked = replay(engine.database, handle.workflow_id, actor="ops", from_step=2)
    result = DBOS.retrieve_workflow(forked.workflow_id).get_result()

    record = found.netsuite["netsuite"].client.get_by_external_id(
        "invoice", invoice_id_for(stripe_invoice))
    assert result["erp_invoice"] == str(record["id"])
    billed = found.stripe.v1.invoices.retrieve(stripe_invoice)
    assert Decimal(str(record["total"])) == Decimal(v1["total"]["amount"]) == \
        Decimal(billed.total).scaleb(-2)
    posted = found.netsuite["netsuite"].client.get("invoice", str(record["id"]))
    assert sorted(Decimal(str(line["amount"])) for line in posted["item"]["items"]) == \
        sorted(Decimal(line["amount"]["amount"]) for line in v1["lines"])
    assert sum(Decimal(str(tax["taxAmount"])) for tax in posted["taxDetails"]["items"]) == \
        Decimal(v1["tax_total"]["amount"])
