"""Payments, failed payments and refunds.

* ``invoice.paid``: the charge becomes a NetSuite customer payment applied to the invoice
  (posting the invoice first when its own event has not been handled yet); a processor
  fee, when Stripe reports one, is posted as a journal entry from undeposited funds to the
  fee expense account.
* ``invoice.payment_failed``: the Salesforce account's billing status becomes Past Due; a
  payment after failed attempts (dunning recovered) sets it back to Active.
* ``charge.refunded``: each refund becomes a NetSuite credit memo against the paid invoice
  and a customer refund paid out of it.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from accord.canonical.billing import CreditNote, CreditNoteLine, CreditNoteReason
from accord.canonical.ids import EntityType
from accord.canonical.ledger import JournalEntry, JournalLine, Side
from accord.canonical.money import Money
from accord.canonical.payments import Payment, Refund
from accord.connectors.salesforce.mapping import BillingStatus
from accord.connectors.salesforce.writeback import AccountLinks, WriteBack
from accord.connectors.stripe import mapping
from accord.connectors.stripe.client import Kind
from accord.engine import FlowInput, Milestone, StepCall, flow, step
from accord.engine.context import current
from accord.engine.dispatch import handles
from accord.flows.ids import derived_id
from accord.flows.invoice_posting import invoice_id_for, post_stripe_invoice
from accord.flows.keys import Key
from accord.flows.links import (
    await_link,
    canonical_of,
    gave_up,
    link,
    lookup,
    note_keys,
    note_written,
)
from accord.flows.stripe_events import describe_charge_event, describe_invoice_event
from accord.flows.systems import systems
from accord.registry.golden import GoldenRecords

PAYMENT_FLOW = "payment_posting"
FAILED_FLOW = "payment_failed"
REFUND_FLOW = "refund_posting"


def payment_id_for(stripe_charge_id: str) -> str:
    return derived_id(EntityType.PAYMENT, "stripe", stripe_charge_id)


def refund_id_for(stripe_refund_id: str) -> str:
    return derived_id(EntityType.REFUND, "stripe", stripe_refund_id)


@step("stripe", "read_payment", entity=Key.STRIPE_INVOICE_ID)
def read_payment(_call: StepCall, stripe_invoice_id: str) -> dict[str, Any] | None:
    """The succeeded charge that paid the invoice (None when it was paid another way)."""
    client = systems().stripe
    invoice = client.retrieve(Kind.INVOICES, stripe_invoice_id)
    for entry in (invoice.get("payments") or {}).get("data") or []:
        payment = entry.get("payment") or {}
        if entry.get("status") == "paid" and payment.get("payment_intent"):
            intent = client.retrieve(Kind.PAYMENT_INTENTS, str(payment["payment_intent"]))
            if intent.get("latest_charge"):
                charge = client.retrieve(Kind.CHARGES, str(intent["latest_charge"]),
                                         expand=["balance_transaction"])
                return {"charge": charge, "invoice": {
                    "id": invoice["id"], "customer": invoice["customer"],
                    "attempt_count": int(invoice.get("attempt_count") or 0)}}
    return None


@step("netsuite", "post_payment", entity=Key.STRIPE_INVOICE_ID,
      milestone=Milestone.PAYMENT_POSTED)
def post_payment(_call: StepCall, payment: dict[str, Any], legal_entity: str) -> str:
    model = Payment.model_validate(payment)
    return systems().erp(legal_entity, model.amount.currency).post_payment(model)


def processor_fee(charge: dict[str, Any]) -> dict[str, Any] | None:
    """The fee Stripe kept on the charge, from its (expanded) balance transaction: its id,
    amount in minor units and currency; None when there is none."""
    balance = charge.get("balance_transaction")
    if not isinstance(balance, dict) or not int(balance.get("fee") or 0):
        return None
    return {"balance_transaction": str(balance["id"]), "fee": int(balance["fee"]),
            "currency": str(balance.get("currency") or charge["currency"])}


def fee_journal_id_for(balance_transaction_id: str) -> str:
    return derived_id(EntityType.JOURNAL_ENTRY, "stripe-fee", balance_transaction_id)


FEE_EXPENSE_ACCOUNT = "6100"
"""Payment Processor Fees."""
CLEARING_ACCOUNT = "1100"
"""Undeposited Funds: where the customer payment landed, gross, until Stripe pays out net."""


def fee_entry(fee: dict[str, Any], payment: Payment, legal_entity: str) -> JournalEntry:
    """The processor fee as a balanced journal: Dr fee expense, Cr the clearing account, in
    the charge's currency and the legal entity's subsidiary, dated with the payment."""
    amount = mapping.money(int(fee["fee"]), str(fee["currency"]))
    day = payment.received_at.astimezone(UTC).date()
    stripe_charge = payment.external_ids.get("stripe", payment.id)
    return JournalEntry(
        id=fee_journal_id_for(str(fee["balance_transaction"])), legal_entity=legal_entity,
        currency=amount.currency, entry_date=day, period=day.strftime("%Y-%m"),
        memo=f"Stripe processing fee {fee['balance_transaction']} on {stripe_charge}",
        lines=(JournalLine(account=FEE_EXPENSE_ACCOUNT, side=Side.DEBIT, amount=amount),
               JournalLine(account=CLEARING_ACCOUNT, side=Side.CREDIT, amount=amount)),
        source_document=payment.id)


@step("netsuite", "post_fee", entity=Key.STRIPE_INVOICE_ID)
def post_fee(_call: StepCall, fee: dict[str, Any], payment: dict[str, Any],
             legal_entity: str) -> str:
    """Upserted on an ``externalId`` derived from the balance transaction id: posted once."""
    entry = fee_entry(fee, Payment.model_validate(payment), legal_entity)
    return systems().erp(legal_entity, entry.currency).post_journal(entry)


@step("accord", "legal_entity")
def legal_entity_of(_call: StepCall, customer_id: str) -> str:
    with current().database.session() as session:
        golden = GoldenRecords(session, systems().policy).current(customer_id)
    return str((golden.data if golden else {}).get("legal_entity") or "")


@step("accord", "remember_payment")
def remember_payment(call: StepCall, payment: dict[str, Any]) -> None:
    """The payment's golden record: its allocations tell a later refund which invoice."""
    with current().database.session() as session:
        GoldenRecords(session, systems().policy).merge(
            str(payment["id"]), EntityType.PAYMENT, "stripe", payment,
            caused_by=call.correlation_id)


@step("accord", "allocations")
def allocated_invoice(_call: StepCall, payment_id: str) -> str | None:
    with current().database.session() as session:
        golden = GoldenRecords(session, systems().policy).current(payment_id)
    allocations = (golden.data if golden else {}).get("allocations") or []
    return str(allocations[0]["invoice_id"]) if allocations else None


@handles("stripe", "invoice.paid", describe=describe_invoice_event)
@flow(PAYMENT_FLOW)
def payment_posting(run: FlowInput) -> dict[str, str]:
    stripe_invoice_id = run.keys[Key.STRIPE_INVOICE_ID]
    read = read_payment(stripe_invoice_id)
    if read is None:
        return {"outcome": "no_charge"}
    stripe_customer = str(read["invoice"]["customer"])
    customer_id = canonical_of("stripe", EntityType.CUSTOMER.value, stripe_customer)
    if customer_id is None:
        gave_up("customer", f"Stripe customer {stripe_customer} is not known to accord")
        raise AssertionError("unreachable")  # pragma: no cover
    charge = read["charge"]
    invoice_id = invoice_id_for(stripe_invoice_id)
    payment = mapping.payment_from_charge(charge, customer_id=customer_id,
                                          invoice_id=invoice_id,
                                          canonical_id=payment_id_for(str(charge["id"])))
    note_keys({Key.PAYMENT_ID: payment.id, Key.CUSTOMER_ID: customer_id,
               Key.INVOICE_ID: invoice_id})
    legal_entity = legal_entity_of(customer_id)
    erp = systems().erp_instance(legal_entity, payment.amount.currency)
    link(payment.id, EntityType.PAYMENT.value, "stripe", str(charge["id"]))
    remember_payment(payment.model_dump(mode="json"))
    if lookup(invoice_id, erp) is None:
        # the invoice's own event is late (webhooks arrive out of order) and queued behind
        # this flow, or its posting stopped on an exception: post the invoice here (an upsert
        # on the same externalId). If it fails again it is the same problem (same record,
        # same step), so it adds an occurrence to that exception rather than a second one.
        post_stripe_invoice(stripe_invoice_id)
    dumped = payment.model_dump(mode="json")
    posted = post_payment(dumped, legal_entity)
    link(payment.id, EntityType.PAYMENT.value, erp, posted)
    fee = processor_fee(charge)
    if fee is not None:
        journal = post_fee(fee, dumped, legal_entity)
        link(fee_journal_id_for(fee["balance_transaction"]), EntityType.JOURNAL_ENTRY.value,
             erp, journal)
    if read["invoice"]["attempt_count"] > 1:
        # paid after failed attempts: dunning is over, the account is active again
        account_id = lookup(customer_id, "salesforce")
        if account_id is not None:
            written = set_billing_status(account_id, BillingStatus.ACTIVE.value)
            note_written("salesforce", EntityType.CUSTOMER.value, account_id, written)
    return {"outcome": "posted", "payment_id": payment.id, "netsuite_payment": posted}


@step("salesforce", "billing_status", entity=Key.STRIPE_INVOICE_ID,
      milestone=Milestone.CRM_UPDATED)
def set_billing_status(_call: StepCall, account_id: str, status: str) -> dict[str, Any]:
    links = AccountLinks(account_id=account_id, status=BillingStatus(status))
    WriteBack(systems().salesforce).account(links)
    return links.fields()


@handles("stripe", "invoice.payment_failed", describe=describe_invoice_event)
@flow(FAILED_FLOW)
def payment_failed(run: FlowInput) -> dict[str, str]:
    customer_id = run.keys.get(Key.CUSTOMER_ID)
    if customer_id is None:
        return {"outcome": "unknown_customer"}
    account_id = lookup(customer_id, "salesforce")
    if account_id is None:
        return {"outcome": "no_account"}
    written = set_billing_status(account_id, BillingStatus.PAST_DUE.value)
    note_written("salesforce", EntityType.CUSTOMER.value, account_id, written)
    return {"outcome": "past_due", "account_id": account_id}


@step("stripe", "read_refunds", entity=Key.STRIPE_CHARGE_ID)
def read_refunds(_call: StepCall, stripe_charge_id: str) -> list[dict[str, Any]]:
    client = systems().stripe
    return [refund for refund in client.iterate(Kind.REFUNDS, charge=stripe_charge_id)
            if refund.get("status") == "succeeded"]


def credit_note_for(refund: Refund, invoice_id: str) -> CreditNote:
    """The credit a refund gives back: one line for the refunded amount (tax included)."""
    return CreditNote(
        id=derived_id(EntityType.CREDIT_NOTE, "refund", refund.id),
        external_ids=refund.external_ids, number=refund.external_ids.get("stripe", refund.id),
        invoice_id=invoice_id, customer_id=refund.customer_id, currency=refund.amount.currency,
        lines=(CreditNoteLine(description=f"Refund: {refund.reason}", amount=refund.amount),),
        subtotal=refund.amount, tax_total=Money.zero(refund.amount.currency),
        total=refund.amount, reason=CreditNoteReason.OTHER,
        issue_date=refund.refunded_at.astimezone(UTC).date())


@step("netsuite", "post_credit_memo", entity=Key.STRIPE_CHARGE_ID)
def post_credit_memo(_call: StepCall, note: dict[str, Any], legal_entity: str) -> str:
    model = CreditNote.model_validate(note)
    return systems().erp(legal_entity, model.currency).post_credit_note(model, apply=False)


@step("netsuite", "post_refund", entity=Key.STRIPE_CHARGE_ID)
def post_refund(_call: StepCall, refund: dict[str, Any], legal_entity: str) -> str:
    model = Refund.model_validate(refund)
    return systems().erp(legal_entity, model.amount.currency).post_refund(model)


@handles("stripe", "charge.refunded", describe=describe_charge_event)
@flow(REFUND_FLOW)
def refund_posting(run: FlowInput) -> dict[str, Any]:
    # events stored before charges had a key of their own named the charge ``payment_id``
    stripe_charge_id = run.keys.get(Key.STRIPE_CHARGE_ID) or run.keys[Key.PAYMENT_ID]
    customer_id = run.keys.get(Key.CUSTOMER_ID)
    if customer_id is None:
        return {"outcome": "unknown_customer"}
    payment_id = payment_id_for(stripe_charge_id)
    legal_entity = legal_entity_of(customer_id)
    posted: list[str] = []
    for obj in read_refunds(stripe_charge_id):
        refund = mapping.refund_from_stripe(obj, payment_id=payment_id, customer_id=customer_id,
                                            canonical_id=refund_id_for(str(obj["id"])))
        erp = systems().erp_instance(legal_entity, refund.amount.currency)
        link(refund.id, EntityType.REFUND.value, "stripe", str(obj["id"]))
        await_link(payment_id, erp, "payment")
        invoice_id = allocated_invoice(payment_id)
        if invoice_id is None:
            gave_up("payment", f"{payment_id} is applied to no invoice to credit")
            raise AssertionError("unreachable")  # pragma: no cover
        note = credit_note_for(refund, invoice_id)
        memo = post_credit_memo(note.model_dump(mode="json"), legal_entity)
        link(note.id, EntityType.CREDIT_NOTE.value, erp, memo)
        refund = refund.model_copy(update={"credit_note_id": note.id})
        internal = post_refund(refund.model_dump(mode="json"), legal_entity)
        link(refund.id, EntityType.REFUND.value, erp, internal)
        posted.append(internal)
    # last, so that refund flows started before this step existed recover unchanged
    note_keys({Key.PAYMENT_ID: payment_id})
    return {"outcome": "posted", "refunds": posted}


__all__ = ["CLEARING_ACCOUNT", "FAILED_FLOW", "FEE_EXPENSE_ACCOUNT", "PAYMENT_FLOW",
           "REFUND_FLOW", "fee_entry", "fee_journal_id_for", "payment_failed", "payment_id_for",
           "payment_posting", "processor_fee", "refund_id_for", "refund_posting"]
