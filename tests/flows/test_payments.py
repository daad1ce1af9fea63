"""Payments over real HTTP: the processor fee Stripe keeps is posted to NetSuite once, as a
balanced journal in the payment's currency and subsidiary; and an invoice dated in a closed
period opens exactly one exception, whichever flow (the invoice's or its payment's) meets
it first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from accord.canonical.ids import EntityType, derived_id
from accord.canonical.party import Customer
from accord.engine import FlowFailed, FlowInput, Milestone, run_flow
from accord.engine.timeline import search
from accord.flows.invoice_posting import invoice_posting
from accord.flows.keys import Key
from accord.flows.payments import payment_posting
from accord.flows.systems import Systems
from accord.registry.golden import GoldenRecords
from accord.registry.xref import Xrefs
from tests.flows.vendors import fee_journal_id_for, invoice_id_for, payment_id_for

from .support import exceptions

ENTITIES = {"US01": ("USD", "US"), "DE01": ("EUR", "DE")}


def _customer(engine, found: Systems, name: str, legal_entity: str, *,
              clock_at: datetime | None = None) -> tuple[Customer, str]:
    """A customer accord knows in Stripe and in NetSuite, paying by card."""
    currency, _country = ENTITIES[legal_entity]
    customer = Customer(id=derived_id(EntityType.CUSTOMER, "test", name), legal_name=name,
                        legal_entity=legal_entity, currency=currency)
    v1 = found.stripe.v1
    params: dict[str, object] = {"name": name, "metadata": {"accord_id": customer.id}}
    if clock_at is not None:
        params["test_clock"] = v1.test_helpers.test_clocks.create(params={
            "frozen_time": int(clock_at.timestamp())}).id
    stripe_customer = v1.customers.create(params=params)  # type: ignore[arg-type]
    method = v1.payment_methods.attach("pm_card_visa", params={"customer": stripe_customer.id})
    v1.customers.update(stripe_customer.id, params={
        "invoice_settings": {"default_payment_method": method.id}})
    erp = found.erp_instance(legal_entity, currency)
    internal = found.erp(legal_entity, currency).post_customer(customer)
    with engine.database.session() as session:
        xrefs = Xrefs(session)
        xrefs.link(customer.id, EntityType.CUSTOMER, "stripe", stripe_customer.id)
        xrefs.link(customer.id, EntityType.CUSTOMER, erp, internal)
        GoldenRecords(session, found.policy).merge(customer.id, EntityType.CUSTOMER, "test",
                                                   customer.model_dump(mode="json"))
    return customer, stripe_customer.id


def _paid_invoice(found: Systems, stripe_customer: str, amount: int, currency: str) -> str:
    v1 = found.stripe.v1
    v1.invoice_items.create(params={"customer": stripe_customer, "amount": amount,
                                    "currency": currency.lower(), "description": "Onboarding"})
    invoice = v1.invoices.create(params={"customer": stripe_customer,
                                         "currency": currency.lower(),
                                         "pending_invoice_items_behavior": "include"})
    if v1.invoices.finalize_invoice(invoice.id).status != "paid":
        v1.invoices.pay(invoice.id)
    assert v1.invoices.retrieve(invoice.id).status == "paid"
    return str(invoice.id)


def _run(flow, stripe_invoice: str, attempt: str, customer_id: str):  # type: ignore[no-untyped-def]
    return run_flow(flow, FlowInput(
        correlation_id=f"test:{flow.__name__}:{stripe_invoice}:{attempt}",
        keys={"billing_invoice_id": stripe_invoice, "customer_id": customer_id},
        system="stripe"))


@pytest.mark.parametrize("legal_entity", ["US01", "DE01"])
def test_the_processor_fee_is_posted_once_as_a_balanced_journal(
        engine, make_systems, legal_entity: str) -> None:
    found: Systems = make_systems()
    currency, _country = ENTITIES[legal_entity]
    customer, stripe_customer = _customer(engine, found, f"Fee Payer {legal_entity}",
                                          legal_entity)
    stripe_invoice = _paid_invoice(found, stripe_customer, 123_456, currency)
    _run(invoice_posting, stripe_invoice, "1", customer.id).get_result()
    # the payment's event delivered twice (a redelivery, a re-run poll): posted once
    first = _run(payment_posting, stripe_invoice, "1", customer.id).get_result()
    _run(payment_posting, stripe_invoice, "2", customer.id).get_result()

    v1 = found.stripe.v1
    charge = v1.charges.list(params={"customer": stripe_customer}).data[0]
    txn = v1.balance_transactions.retrieve(str(charge.balance_transaction))
    assert txn.fee > 0
    fee = Decimal(txn.fee) / 100
    poster = found.erp(legal_entity, currency)
    ns = poster.client
    journals = list(ns.suiteql(
        "SELECT t.id, t.externalid FROM transaction t WHERE t.type = 'Journal'"))
    assert [row["externalid"] for row in journals] == [fee_journal_id_for(txn.id)]
    journal = ns.get_by_external_id("journalEntry", fee_journal_id_for(txn.id))
    assert journal["subsidiary"]["id"] == poster.ref.subsidiary(legal_entity).id
    assert journal["currency"]["id"] == poster.ref.currency_id(currency)
    lines = journal["line"]["items"]
    debits = [(poster.ref.account_number(line["account"]["id"]), Decimal(str(line["debit"])))
              for line in lines if line.get("debit") is not None]
    credits = [(poster.ref.account_number(line["account"]["id"]), Decimal(str(line["credit"])))
               for line in lines if line.get("credit") is not None]
    assert debits == [("6100", fee)]
    assert credits == [("1100", fee)]
    # the payment itself is posted gross, once, and applied to the invoice
    payment = ns.get_by_external_id("customerPayment", payment_id_for(charge.id))
    assert Decimal(str(payment["payment"])) == Decimal(123_456) / 100
    assert first["erp_payment"] == str(payment["id"])
    invoice = ns.get_by_external_id("invoice", invoice_id_for(stripe_invoice))
    assert Decimal(str(invoice["amountRemaining"])) == 0
    # the flows declared what they reached, found by the payment's and the invoice's keys
    engine.timeline.flush()
    assert {row.milestone for row in search(engine.database, payment_id_for(charge.id),
                                            kind=Key.PAYMENT_ID)} >= {Milestone.PAYMENT_POSTED}
    assert Milestone.INVOICE_POSTED in {row.milestone for row in search(
        engine.database, stripe_invoice, kind=Key.BILLING_INVOICE_ID)}


@pytest.mark.parametrize("first", ["payment", "invoice"])
def test_an_invoice_in_a_closed_period_opens_one_exception(engine, make_systems,
                                                           first: str) -> None:
    found: Systems = make_systems()
    month_start = datetime.now(UTC).replace(day=1, hour=12, minute=0, second=0, microsecond=0)
    dated = month_start - timedelta(days=3)
    customer, stripe_customer = _customer(engine, found, f"Late Books {first}", "US01",
                                          clock_at=dated)
    stripe_invoice = _paid_invoice(found, stripe_customer, 50_000, "USD")
    order = ([payment_posting, invoice_posting] if first == "payment"
             else [invoice_posting, payment_posting])
    for flow in order:
        with pytest.raises(FlowFailed):
            _run(flow, stripe_invoice, "1", customer.id).get_result()

    (record,) = exceptions(engine.database)
    assert record.owner == "finance_operations"
    assert record.record_ref == stripe_invoice
    assert dated.strftime("%b %Y") in record.reason
    assert record.occurrences == 2
    ns = found.netsuite["netsuite"].client
    assert list(ns.suiteql("SELECT t.id FROM transaction t WHERE t.type IN "
                           "('CustInvc', 'CustPymt', 'Journal')")) == []
