"""The full shape of each Stripe object: the fields the sandbox emulates, plus the ones it
only ever sends as ``null``.

Stripe sends every documented field of an object, ``null`` when it does not apply, so code
that reads ``invoice.automatically_finalizes_at`` or ``charge.fraud_details`` works whether or
not the field has a value. Each constructor in this package sets the fields the sandbox gives
behaviour to; :func:`wire` adds the fields of :data:`NULL_ONLY` as ``null`` and orders the keys
the way Stripe does (``id``, ``object``, then alphabetically). ``tests/stripe/test_contract.py``
checks every answer against the installed ``stripe`` package's description of the object, and
``docs/sandboxes/stripe.md`` lists these fields per object.
"""

from __future__ import annotations

from typing import Any

StripeObject = dict[str, Any]

NULL_ONLY: dict[str, tuple[str, ...]] = {
    "balance_transaction": ("exchange_rate",),
    "billing.meter": (),
    "billing.meter_event": (),
    "billing.meter_event_summary": (),
    "charge": (
        "application", "application_fee", "application_fee_amount", "authorization_code",
        "failure_balance_transaction", "level3", "on_behalf_of", "presentment_details",
        "radar_options", "receipt_number", "refunds", "review", "shipping", "source",
        "source_transfer", "statement_descriptor", "statement_descriptor_suffix", "transfer",
        "transfer_data", "transfer_group"),
    "credit_note": ("customer_account", "customer_balance_transaction", "shipping_cost"),
    "credit_note_line_item": (),
    "customer": (
        "business_name", "cash_balance", "customer_account", "default_source",
        "discount", "individual_name", "invoice_credit_balance", "shipping", "sources",
        "subscriptions", "tax", "tax_ids"),
    "event": ("account", "context"),
    "invoice": (
        "account_tax_ids", "amount_paid_off_stripe", "application", "automatically_finalizes_at",
        "custom_fields", "customer_account", "customer_shipping", "default_source",
        "from_invoice", "last_finalization_error", "latest_revision", "on_behalf_of",
        "receipt_number", "rendering", "shipping_cost", "shipping_details",
        "statement_descriptor", "status_details", "threshold_reason", "webhooks_delivered_at"),
    "invoice_payment": (),
    "invoiceitem": ("customer_account", "frozen_fields", "invoicing_rules"),
    "line_item": (),
    "payment_intent": (
        "allowed_payment_method_types", "amount_details", "application",
        "application_fee_amount", "automatic_payment_methods", "customer_account",
        "excluded_payment_method_types", "hooks", "managed_payments", "next_action",
        "on_behalf_of", "payment_details", "payment_method_configuration_details",
        "payment_record", "presentment_details", "processing", "review",
        "setup_future_usage", "shipping", "source", "statement_descriptor",
        "statement_descriptor_suffix", "transfer_data", "transfer_group"),
    "payment_method": ("customer_account", "radar_options"),
    "plan": ("deleted", "transform_usage"),
    "price": ("currency_options", "custom_unit_amount", "deleted", "transform_quantity"),
    "product": ("package_dimensions", "shippable", "tax_details"),
    "refund": (
        "customer_account", "description", "failure_balance_transaction", "failure_reason",
        "instructions_email", "next_action", "pending_reason", "presentment_details",
        "receipt_number", "source_transfer_reversal", "transfer_reversal"),
    "subscription": (
        "application", "application_fee_percent", "billing_cycle_anchor_config",
        "billing_thresholds", "customer_account", "default_source", "managed_payments",
        "next_pending_invoice_item_invoice", "on_behalf_of", "pause_collection",
        "pending_invoice_item_interval", "pending_setup_intent", "pending_update",
        "presentment_details", "schedule", "status_details", "transfer_data"),
    "subscription_item": ("billed_until", "billing_thresholds", "current_trial"),
    "tax_rate": ("flat_amount",),
    "test_helpers.test_clock": (),
    "webhook_endpoint": ("application",),
}
"""Per object (its ``object`` value): the documented fields the sandbox always sends as
``null`` (no behaviour behind them: Connect, Radar, shipping, discounts, automatic tax, ...)."""

DELETABLE = frozenset({"customer", "invoice", "invoiceitem", "product", "subscription_item",
                       "test_helpers.test_clock", "webhook_endpoint"})
"""Objects the sandbox can delete: they carry ``deleted`` (``null``, or ``true`` once gone)."""


def wire(kind: str, fields: StripeObject) -> StripeObject:
    """The object ``kind`` as Stripe sends it: ``fields`` plus the null-only fields, keys in
    Stripe's order. ``fields`` must hold ``id`` (except meter events) and every field the
    sandbox emulates for ``kind``."""
    nulls = NULL_ONLY[kind]
    clash = sorted(set(nulls) & set(fields))
    if clash:
        raise ValueError(f"{kind}: {clash} are declared null-only but were given")
    body: StripeObject = dict.fromkeys(nulls)
    body.update(fields)
    if kind in DELETABLE:
        body.setdefault("deleted", None)
    body["object"] = kind
    head: StripeObject = {key: body.pop(key) for key in ("id", "object") if key in body}
    head.update(sorted(body.items()))
    return head


def address(city: str | None = None, country: str | None = None, line1: str | None = None,
            line2: str | None = None, postal_code: str | None = None,
            state: str | None = None) -> dict[str, str | None]:
    return {"city": city, "country": country, "line1": line1, "line2": line2,
            "postal_code": postal_code, "state": state}


def billing_details(source: dict[str, Any] | None = None) -> dict[str, Any]:
    """A payment method's (and its charges') billing details."""
    given = source or {}
    return {"address": given.get("address"), "email": given.get("email"),
            "name": given.get("name"), "phone": given.get("phone"),
            "tax_id": given.get("tax_id")}


def tax_entry(*, amount: int, rate_id: str, taxable: int,
              reason: str = "standard_rated") -> dict[str, Any]:
    """One tax amount on an invoice line, an invoice or a credit note (exclusive rates)."""
    return {"amount": amount, "tax_behavior": "exclusive",
            "tax_rate_details": {"tax_rate": rate_id}, "taxability_reason": reason,
            "taxable_amount": taxable, "type": "tax_rate_details"}


__all__ = ["DELETABLE", "NULL_ONLY", "address", "billing_details", "tax_entry", "wire"]
