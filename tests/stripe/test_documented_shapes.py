"""Code written against Stripe's documented objects runs unchanged against the sandbox.

Each test reads an object the way billing code written for real Stripe does: through the
official client's attributes, every field Stripe documents for it (the installed ``stripe``
package's annotations list them), and the nested fields such code typically reads. Real Stripe
sends every one of them (``null`` when empty); a field the sandbox left out would raise
``AttributeError`` here.
"""

from __future__ import annotations

import typing
from types import NoneType, UnionType
from typing import Any

import pytest
from tests.stripe.description import documented_fields

import stripe

DAY = 86_400


def _nullable(hint: Any) -> bool:
    return typing.get_origin(hint) in (typing.Union, UnionType) and (
        NoneType in typing.get_args(hint))


def read_every_field(obj: stripe.StripeObject, cls: type) -> dict[str, Any]:
    """Every documented field of ``obj`` through attribute access; a non-nullable field must
    hold a value."""
    values: dict[str, Any] = {}
    for name, hint in documented_fields(cls).items():
        values[name] = getattr(obj, name)
        if not _nullable(hint):
            assert values[name] is not None, f"{cls.__name__}.{name} is documented non-null"
    return values


@pytest.fixture
def paid_subscription(client: stripe.StripeClient) -> stripe.Subscription:
    customer = client.v1.customers.create(params={"name": "Reader", "email": "r@example.com"})
    card = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    product = client.v1.products.create(params={"name": "Seat"})
    price = client.v1.prices.create(params={"product": product.id, "currency": "usd",
                                            "unit_amount": 4200,
                                            "recurring": {"interval": "month"}})
    return client.v1.subscriptions.create(params={
        "customer": customer.id, "items": [{"price": price.id, "quantity": 3}],
        "default_payment_method": card.id})


def test_every_field_of_an_invoice_reads(client: stripe.StripeClient,
                                         paid_subscription: stripe.Subscription) -> None:
    assert isinstance(paid_subscription.latest_invoice, str)
    invoice = client.v1.invoices.retrieve(paid_subscription.latest_invoice)
    fields = read_every_field(invoice, stripe.Invoice)
    assert len(fields) == len(documented_fields(stripe.Invoice))
    assert invoice.automatically_finalizes_at is None
    assert invoice.status == "paid"
    assert invoice.amount_paid == invoice.total == 12600
    assert invoice.status_transitions.paid_at is not None
    assert invoice.issuer.type == "self"
    assert invoice.payment_settings.payment_method_types is None
    assert invoice.automatic_tax.enabled is False
    assert invoice.customer_email == "r@example.com"
    assert invoice.confirmation_secret is not None
    line = invoice.lines.data[0]
    read_every_field(line, stripe.InvoiceLineItem)
    assert line.pricing is not None
    assert line.pricing.price_details is not None
    assert line.pricing.price_details.product.startswith("prod_")
    assert line.parent is not None
    assert line.parent.subscription_item_details is not None
    assert line.parent.subscription_item_details.proration is False
    assert line.quantity_decimal == 3
    assert line.subtotal == 12600


def test_every_field_of_a_charge_reads(client: stripe.StripeClient,
                                       paid_subscription: stripe.Subscription) -> None:
    assert isinstance(paid_subscription.latest_invoice, str)
    invoice = client.v1.invoices.retrieve(paid_subscription.latest_invoice,
                                          params={"expand": ["payments"]})
    assert invoice.payments is not None
    intent_id = invoice.payments.data[0].payment.payment_intent
    assert isinstance(intent_id, str)
    intent = client.v1.payment_intents.retrieve(intent_id)
    read_every_field(intent, stripe.PaymentIntent)
    assert isinstance(intent.latest_charge, str)
    charge = client.v1.charges.retrieve(intent.latest_charge)
    read_every_field(charge, stripe.Charge)
    assert charge.fraud_details is not None
    assert charge.fraud_details.stripe_report is None
    assert charge.outcome is not None
    assert (charge.outcome.network_status, charge.outcome.risk_level) == (
        "approved_by_network", "normal")
    assert charge.outcome.risk_score is not None
    assert charge.billing_details.address is None
    details = charge.payment_method_details
    assert details is not None
    assert details.type == "card"
    assert details.card is not None
    assert (details.card.brand, details.card.last4, details.card.network) == (
        "visa", "4242", "visa")
    assert details.card.checks is not None
    assert details.card.three_d_secure is None
    assert charge.calculated_statement_descriptor is not None
    assert charge.receipt_url is not None
    assert charge.refunds is None  # only sent when expanded


def test_every_field_of_a_subscription_reads(client: stripe.StripeClient,
                                             paid_subscription: stripe.Subscription) -> None:
    subscription = client.v1.subscriptions.retrieve(paid_subscription.id)
    read_every_field(subscription, stripe.Subscription)
    assert subscription.status == "active"
    assert subscription.billing_mode.type == "flexible"
    assert subscription.invoice_settings.issuer.type == "self"
    assert subscription.trial_settings is not None
    assert subscription.trial_settings.end_behavior.missing_payment_method == "create_invoice"
    assert subscription.pending_update is None
    assert subscription.cancellation_details is not None
    assert subscription.cancellation_details.reason is None
    item = subscription["items"].data[0]
    read_every_field(item, stripe.SubscriptionItem)
    assert item.plan.interval == "month"
    assert item.plan.amount == 4200
    assert item.price.recurring is not None
    assert item.current_period_end - item.current_period_start >= 28 * DAY
