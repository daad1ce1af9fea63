"""Canonical ids of the records flows first meet in a source system: derived from the
system instance (as configured) and the record's id there, so a redelivered, re-polled or
replayed event names the same record (:func:`accord.canonical.ids.derived_id`)."""

from __future__ import annotations

from accord.canonical.ids import EntityType, derived_id


def subscription_id_for(crm: str, deal_id: str) -> str:
    return derived_id(EntityType.SUBSCRIPTION, crm, deal_id)


def customer_id_for(crm: str, account_id: str) -> str:
    return derived_id(EntityType.CUSTOMER, crm, account_id)


def invoice_id_for(billing: str, invoice_id: str) -> str:
    return derived_id(EntityType.INVOICE, billing, invoice_id)


def payment_id_for(billing: str, payment_id: str) -> str:
    return derived_id(EntityType.PAYMENT, billing, payment_id)


def refund_id_for(billing: str, refund_id: str) -> str:
    return derived_id(EntityType.REFUND, billing, refund_id)


def fee_journal_id_for(billing: str, fee_reference: str) -> str:
    return derived_id(EntityType.JOURNAL_ENTRY, f"{billing}-fee", fee_reference)


def usage_id_for(metering: str, record_id: str) -> str:
    return derived_id(EntityType.USAGE_RECORD, metering, record_id)


__all__ = ["customer_id_for", "fee_journal_id_for", "invoice_id_for", "payment_id_for",
           "refund_id_for", "subscription_id_for", "usage_id_for"]
