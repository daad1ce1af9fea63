"""Payments, failed payments and refunds.

* ``invoice.paid``: the payment becomes an ERP customer payment applied to the invoice
  (posting the invoice first when its own event has not been handled yet); a processor
  fee, when billing reports one, is journalled in the ERP from its clearing account to its
  fee expense account (the ERP connector's reference data names both).
* ``payment.failed``: the CRM account's billing status becomes past due; a payment after
  failed attempts (dunning recovered) sets it back to active.
* ``payment.refunded``: each refund becomes an ERP credit memo against the paid invoice and
  a customer refund paid out of it. A credit against an invoice with revenue schedules
  reduces them (re-planning what is left) and posts to their deferred revenue account
  (``docs/revenue.md``).
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from accord.canonical.billing import CreditNote, CreditNoteLine, CreditNoteReason
from accord.canonical.deals import BillingStatus, CustomerLinks
from accord.canonical.events import EventType
from accord.canonical.ids import EntityType, derived_id
from accord.canonical.money import Money
from accord.canonical.payments import Payment, ProcessorFee, Refund
from accord.canonical.roles import Role
from accord.canonical.upcasting import load
from accord.engine import FlowInput, Milestone, StepCall, flow, step
from accord.engine.context import current
from accord.engine.dispatch import handles
from accord.flows.identities import (
    fee_journal_id_for,
    invoice_id_for,
    payment_id_for,
    refund_id_for,
)
from accord.flows.invoice_posting import post_billing_invoice
from accord.flows.keys import Key, required_key
from accord.flows.links import (
    await_link,
    canonical_of,
    gave_up,
    link,
    lookup,
    note_keys,
    note_written,
)
from accord.flows.systems import systems
from accord.registry.golden import GoldenRecords

PAYMENT_FLOW = "payment_posting"
FAILED_FLOW = "payment_failed"
REFUND_FLOW = "refund_posting"


@step(Role.BILLING, "read_payment", entity=Key.BILLING_INVOICE_ID)
def read_payment(_call: StepCall, billing: str, invoice_id: str) -> dict[str, Any] | None:
    """The payment that paid the invoice (None when it was paid another way)."""
    return systems().billing(billing).read_payment(invoice_id)


@step(Role.ERP, "post_payment", entity=Key.BILLING_INVOICE_ID,
      milestone=Milestone.PAYMENT_POSTED)
def post_payment(_call: StepCall, erp: str, payment: dict[str, Any]) -> str:
    return systems().erp(erp).post_payment(load(Payment, payment))


@step(Role.ERP, "post_fee", entity=Key.BILLING_INVOICE_ID)
def post_fee(_call: StepCall, erp: str, fee: dict[str, Any], payment: dict[str, Any],
             legal_entity: str, journal_id: str) -> str:
    """Upserted on an external id derived from the processor's fee record: posted once."""
    adapter = systems().erp(erp)
    entry = adapter.processor_fee_entry(ProcessorFee.model_validate(fee),
                                        load(Payment, payment), legal_entity,
                                        canonical_id=journal_id)
    return adapter.post_journal(entry)


@step("accord", "legal_entity")
def legal_entity_of(_call: StepCall, customer_id: str) -> str:
    with current().database.session() as session:
        golden = GoldenRecords(session, systems().policy).current(customer_id)
    return str((golden.data if golden else {}).get("legal_entity") or "")


@step("accord", "remember_payment")
def remember_payment(call: StepCall, billing: str, payment: dict[str, Any]) -> None:
    """The payment's golden record: its allocations tell a later refund which invoice."""
    with current().database.session() as session:
        GoldenRecords(session, systems().policy).merge(
            str(payment["id"]), EntityType.PAYMENT, billing, payment,
            caused_by=call.correlation_id)


@step("accord", "allocations")
def allocated_invoice(_call: StepCall, payment_id: str) -> str | None:
    with current().database.session() as session:
        golden = GoldenRecords(session, systems().policy).current(payment_id)
    allocations = (golden.data if golden else {}).get("allocations") or []
    return str(allocations[0]["invoice_id"]) if allocations else None


@step("accord", "read_as_payment")
def as_payment(_call: StepCall, billing: str, document: dict[str, Any]) -> dict[str, Any]:
    """Who paid, which payment, and the fee billing reports on it."""
    adapter = systems().billing(billing)
    read = adapter.payment_read(document)
    fee = adapter.processor_fee(document)
    return {"customer": read.customer, "payment": read.payment,
            "failed_before": read.failed_attempts_before,
            "fee": fee.model_dump(mode="json") if fee else None}


@step("accord", "canonical_payment")
def canonical_payment(_call: StepCall, billing: str, document: dict[str, Any],
                      canonical_id: str, customer_id: str, invoice_id: str) -> dict[str, Any]:
    payment = systems().billing(billing).to_payment(
        document, canonical_id=canonical_id, customer_id=customer_id, invoice_id=invoice_id)
    return payment.model_dump(mode="json")


@handles(Role.BILLING, EventType.INVOICE_PAID)
@flow(PAYMENT_FLOW)
def payment_posting(run: FlowInput) -> dict[str, str]:
    billing = run.system or systems().default(Role.BILLING)
    billing_invoice = required_key(run, Key.BILLING_INVOICE_ID)
    document = read_payment(billing, billing_invoice)
    if document is None:
        return {"outcome": "no_charge"}
    read = as_payment(billing, document)
    customer_id = canonical_of(billing, EntityType.CUSTOMER.value, read["customer"])
    if customer_id is None:
        gave_up("customer", f"{billing} customer {read['customer']} is not known to accord")
        raise AssertionError("unreachable")  # pragma: no cover
    invoice_id = invoice_id_for(billing, billing_invoice)
    payment = canonical_payment(billing, document, payment_id_for(billing, read["payment"]),
                                customer_id, invoice_id)
    note_keys({Key.PAYMENT_ID: payment["id"], Key.CUSTOMER_ID: customer_id,
               Key.INVOICE_ID: invoice_id})
    legal_entity = legal_entity_of(customer_id)
    erp = systems().target(Role.ERP, legal_entity, payment["amount"]["currency"])
    link(payment["id"], EntityType.PAYMENT.value, billing, read["payment"])
    remember_payment(billing, payment)
    if lookup(invoice_id, erp) is None:
        # the invoice's own event is late (webhooks arrive out of order) and queued behind
        # this flow, or its posting stopped on an exception: post the invoice here (an upsert
        # on the same external id). If it fails again it is the same problem (same record,
        # same step), so it adds an occurrence to that exception rather than a second one.
        post_billing_invoice(billing, billing_invoice)
    posted = post_payment(erp, payment)
    link(payment["id"], EntityType.PAYMENT.value, erp, posted)
    if read["fee"] is not None:
        journal_id = fee_journal_id_for(billing, read["fee"]["reference"])
        journal = post_fee(erp, read["fee"], payment, legal_entity, journal_id)
        link(journal_id, EntityType.JOURNAL_ENTRY.value, erp, journal)
    if read["failed_before"] > 0:
        # paid after failed attempts: dunning is over, the account is active again
        for crm in systems().instances(Role.CRM):
            account_id = lookup(customer_id, crm)
            if account_id is not None:
                written = set_billing_status(crm, account_id, BillingStatus.ACTIVE.value)
                note_written(crm, EntityType.CUSTOMER.value, account_id, written)
    return {"outcome": "posted", "payment_id": payment["id"], "erp_payment": posted}


@step(Role.CRM, "billing_status", entity=Key.BILLING_INVOICE_ID,
      milestone=Milestone.CRM_UPDATED)
def set_billing_status(_call: StepCall, crm: str, account_id: str,
                       status: str) -> dict[str, Any]:
    return systems().crm(crm).write_back_account(
        CustomerLinks(account_id=account_id, status=BillingStatus(status)))


@handles(Role.BILLING, EventType.PAYMENT_FAILED)
@flow(FAILED_FLOW)
def payment_failed(run: FlowInput) -> dict[str, str]:
    customer_id = run.keys.get(Key.CUSTOMER_ID)
    if customer_id is None:
        return {"outcome": "unknown_customer"}
    # every CRM that knows the customer shows it past due (two sales teams may sell to it)
    accounts: dict[str, str] = {}
    for crm in systems().instances(Role.CRM):
        account_id = lookup(customer_id, crm)
        if account_id is not None:
            written = set_billing_status(crm, account_id, BillingStatus.PAST_DUE.value)
            note_written(crm, EntityType.CUSTOMER.value, account_id, written)
            accounts[crm] = account_id
    if not accounts:
        return {"outcome": "no_account"}
    return {"outcome": "past_due", "account_id": ",".join(accounts.values())}


@step(Role.BILLING, "read_refunds", entity=Key.BILLING_PAYMENT_ID)
def read_refunds(_call: StepCall, billing: str, payment_id: str) -> list[dict[str, Any]]:
    return systems().billing(billing).read_refunds(payment_id)


@step("accord", "canonical_refund")
def canonical_refund(_call: StepCall, billing: str, document: dict[str, Any],
                     payment_id: str, customer_id: str) -> dict[str, Any]:
    adapter = systems().billing(billing)
    refund = adapter.to_refund(
        document, canonical_id=refund_id_for(billing, adapter.refund_id(document)),
        payment_id=payment_id, customer_id=customer_id)
    return {"refund": refund.model_dump(mode="json"), "source": adapter.refund_id(document)}


def credit_note_for(refund: Refund, invoice_id: str) -> CreditNote:
    """The credit a refund gives back: one line for the refunded amount (tax included)."""
    number = next(iter(refund.external_ids.values()), refund.id)
    return CreditNote(
        id=derived_id(EntityType.CREDIT_NOTE, "refund", refund.id),
        external_ids=refund.external_ids, number=number,
        invoice_id=invoice_id, customer_id=refund.customer_id, currency=refund.amount.currency,
        lines=(CreditNoteLine(description=f"Refund: {refund.reason}", amount=refund.amount),),
        subtotal=refund.amount, tax_total=Money.zero(refund.amount.currency),
        total=refund.amount, reason=CreditNoteReason.OTHER,
        issue_date=refund.refunded_at.astimezone(UTC).date())


@step(Role.ERP, "post_credit_memo", entity=Key.BILLING_PAYMENT_ID)
def post_credit_memo(_call: StepCall, erp: str, note: dict[str, Any]) -> str:
    """Apply the credit to the invoice's revenue schedules (once: a re-run changes nothing),
    then upsert the credit memo with its lines on the schedules' deferred revenue account."""
    from accord.refdata.versions import active
    from accord.revenue.credits import apply_credit_note

    canonical = load(CreditNote, note)
    with current().database.session() as session:
        accounts = apply_credit_note(session, canonical, active(session).bundle.skus)
    port = systems().erp(erp)
    if any(account is not None for account in accounts):
        return port.post_credit_note(canonical, apply=False, accounts=accounts)
    return port.post_credit_note(canonical, apply=False)


@step(Role.ERP, "post_refund", entity=Key.BILLING_PAYMENT_ID)
def post_refund(_call: StepCall, erp: str, refund: dict[str, Any]) -> str:
    return systems().erp(erp).post_refund(load(Refund, refund))


@handles(Role.BILLING, EventType.PAYMENT_REFUNDED)
@flow(REFUND_FLOW)
def refund_posting(run: FlowInput) -> dict[str, Any]:
    billing = run.system or systems().default(Role.BILLING)
    billing_payment = required_key(run, Key.BILLING_PAYMENT_ID)
    customer_id = run.keys.get(Key.CUSTOMER_ID)
    if customer_id is None:
        return {"outcome": "unknown_customer"}
    payment_id = payment_id_for(billing, billing_payment)
    legal_entity = legal_entity_of(customer_id)
    posted: list[str] = []
    for document in read_refunds(billing, billing_payment):
        mapped = canonical_refund(billing, document, payment_id, customer_id)
        refund = load(Refund, mapped["refund"])
        erp = systems().target(Role.ERP, legal_entity, refund.amount.currency)
        link(refund.id, EntityType.REFUND.value, billing, mapped["source"])
        await_link(payment_id, erp, "payment")
        invoice_id = allocated_invoice(payment_id)
        if invoice_id is None:
            gave_up("payment", f"{payment_id} is applied to no invoice to credit")
            raise AssertionError("unreachable")  # pragma: no cover
        note = credit_note_for(refund, invoice_id)
        memo = post_credit_memo(erp, note.model_dump(mode="json"))
        link(note.id, EntityType.CREDIT_NOTE.value, erp, memo)
        refund = refund.model_copy(update={"credit_note_id": note.id})
        internal = post_refund(erp, refund.model_dump(mode="json"))
        link(refund.id, EntityType.REFUND.value, erp, internal)
        posted.append(internal)
    # last, so that refund flows started before this step existed recover unchanged
    note_keys({Key.PAYMENT_ID: payment_id})
    return {"outcome": "posted", "refunds": posted}


__all__ = ["FAILED_FLOW", "PAYMENT_FLOW", "REFUND_FLOW", "credit_note_for", "payment_failed",
           "payment_posting", "refund_posting"]
