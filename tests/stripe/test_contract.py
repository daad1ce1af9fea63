"""The Stripe sandbox's contract: every answer matches Stripe's description of its objects.

The description comes from the installed ``stripe`` package (see ``description.py``). This
file runs after the other tests of ``tests/stripe`` (``conftest.py`` moves it last) and judges
every answer they recorded, plus the answers of a tour that makes each kind of object the
sandbox emulates, in the states that give its fields a value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.sandboxes.contract import RECORDER, json_answers, summary
from tests.stripe.description import Judge, Violation, object_class, owner_name

import stripe
from accord.sandboxes.base import SandboxOptions
from accord.sandboxes.server import start_in_thread
from accord.sandboxes.stripe import SANDBOX
from accord.sandboxes.stripe.shapes import NULL_ONLY

DAY = 86_400
START = 1_767_225_600  # 2026-01-01T00:00:00Z


def tour(client: stripe.StripeClient) -> None:
    """Make every kind of object, in the states that give its fields a value."""
    v1 = client.v1
    clock = v1.test_helpers.test_clocks.create(params={"frozen_time": START, "name": "tour"})
    customer = v1.customers.create(params={
        "name": "Tour Ltd", "email": "ap@tour.example", "phone": "+1 555 0100",
        "description": "the contract tour", "preferred_locales": ["en"],
        "tax_exempt": "none", "metadata": {"accord_id": "cus_tour"}, "test_clock": clock.id,
        "address": {"line1": "1 Main St", "city": "Springfield", "postal_code": "12345",
                    "state": "IL", "country": "US"}})
    card = v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    customer = v1.customers.update(customer.id, params={
        "invoice_settings": {"default_payment_method": card.id, "footer": "Thank you"}})
    rate = v1.tax_rates.create(params={
        "display_name": "Sales tax", "percentage": "8.875", "inclusive": False,
        "country": "US", "state": "NY", "jurisdiction": "NYC", "description": "NYC sales tax",
        "tax_type": "sales_tax", "metadata": {"k": "v"}})
    product = v1.products.create(params={
        "name": "Platform", "description": "the platform", "statement_descriptor": "PLATFORM",
        "tax_code": "txcd_10103001", "unit_label": "seat", "url": "https://tour.example",
        "default_price_data": {"currency": "usd", "unit_amount": 1500,
                               "recurring": {"interval": "month"}}})
    monthly = v1.prices.create(params={
        "product": product.id, "currency": "usd", "unit_amount": 2500,
        "nickname": "monthly", "lookup_key": "tour_monthly",
        "recurring": {"interval": "month", "trial_period_days": "7"}})
    tiered = v1.prices.create(params={
        "product": product.id, "currency": "usd", "billing_scheme": "tiered",
        "tiers_mode": "graduated", "recurring": {"interval": "month"},
        "tiers": [{"up_to": "10", "unit_amount": "100"},
                  {"up_to": "inf", "unit_amount": "80", "flat_amount": "500"}]})
    meter = v1.billing.meters.create(params={
        "display_name": "API calls", "event_name": "tour_call", "event_time_window": "day",
        "default_aggregation": {"formula": "sum"}})
    metered = v1.prices.create(params={
        "product": product.id, "currency": "usd", "unit_amount_decimal": "0.5",
        "recurring": {"interval": "month", "usage_type": "metered", "meter": meter.id}})
    v1.products.retrieve(product.id, params={"expand": ["default_price"]})
    v1.prices.search(params={"query": "lookup_key:'tour_monthly'"})

    # subscriptions: one with a trial, tax and a cancellation date; one renewed, changed, ended
    trial = v1.subscriptions.create(params={
        "customer": customer.id, "items": [{"price": monthly.id, "quantity": 2}],
        "trial_period_days": 7, "default_tax_rates": [rate.id], "description": "trial",
        "default_payment_method": card.id, "cancel_at": START + 90 * DAY})
    sub = v1.subscriptions.create(params={
        "customer": customer.id,
        "items": [{"price": tiered.id, "quantity": 12}, {"price": metered.id}]})
    v1.subscriptions.create(params={
        "customer": customer.id, "items": [{"price": monthly.id}],
        "collection_method": "send_invoice", "days_until_due": 20})
    v1.billing.meter_events.create(params={
        "event_name": "tour_call", "identifier": "tour-1", "timestamp": START + 3600,
        "payload": {"stripe_customer_id": customer.id, "value": "40"}})
    v1.billing.meters.event_summaries.list(meter.id, params={
        "customer": customer.id, "start_time": START, "end_time": START + 31 * DAY})
    v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": START + 32 * DAY})
    added = v1.subscription_items.create(params={"subscription": trial.id, "price": monthly.id,
                                                 "quantity": 1})
    v1.subscription_items.update(added.id, params={"quantity": 3})
    v1.subscription_items.delete(added.id, params={"proration_behavior": "none"})
    v1.subscriptions.update(sub.id, params={
        "items": [{"id": sub["items"].data[0].id, "quantity": 20}],
        "proration_behavior": "always_invoice", "metadata": {"changed": "yes"}})
    v1.subscriptions.retrieve(sub.id, params={"expand": ["latest_invoice.payments"]})
    v1.subscriptions.cancel(sub.id)
    v1.subscription_items.list(params={"subscription": trial.id})
    v1.subscriptions.search(params={"query": f"customer:'{customer.id}'"})

    # invoices: paid with tax, void, uncollectible, sent, deleted; invoice items
    invoice = v1.invoices.create(params={
        "customer": customer.id, "default_tax_rates": [rate.id], "description": "one-off",
        "default_payment_method": card.id, "auto_advance": False})
    item = v1.invoice_items.create(params={
        "customer": customer.id, "invoice": invoice.id, "price": monthly.id,
        "tax_rates": [rate.id], "period": {"start": START, "end": START + DAY}})
    v1.invoice_items.create(params={"customer": customer.id, "invoice": invoice.id,
                                    "amount": 4000, "currency": "usd", "description": "Setup"})
    v1.invoice_items.update(item.id, params={"description": "Seat", "metadata": {"a": "b"}})
    paid = v1.invoices.pay(v1.invoices.finalize_invoice(invoice.id).id)
    v1.invoices.line_items.list(paid.id)
    v1.invoice_payments.list(params={"invoice": paid.id})
    for ending in ("void", "uncollectible"):
        other = v1.invoices.create(params={"customer": customer.id, "auto_advance": True})
        v1.invoice_items.create(params={"customer": customer.id, "invoice": other.id,
                                        "amount": 1000, "currency": "usd"})
        v1.invoices.finalize_invoice(other.id)
        if ending == "void":
            v1.invoices.void_invoice(other.id)
        else:
            v1.invoices.mark_uncollectible(other.id)
    sent = v1.invoices.create(params={"customer": customer.id,
                                      "collection_method": "send_invoice",
                                      "days_until_due": 14})
    v1.invoice_items.create(params={"customer": customer.id, "invoice": sent.id,
                                    "amount": 2000, "currency": "usd"})
    (sent_line,) = v1.invoices.line_items.list(sent.id).data
    v1.invoices.line_items.update(sent.id, sent_line.id, params={"tax_amounts": [  # a tax
        {"amount": 125, "taxable_amount": 2000, "tax_rate_data": {  # engine's amounts
            "display_name": "Illinois State Tax", "inclusive": False, "percentage": 6.25,
            "country": "US", "state": "IL", "jurisdiction": "ILLINOIS",
            "jurisdiction_level": "state", "tax_type": "sales_tax"}}]})
    v1.invoices.finalize_invoice(sent.id)
    v1.invoices.send_invoice(sent.id)
    v1.invoices.pay(sent.id, params={"paid_out_of_band": True})
    draft = v1.invoices.create(params={"customer": customer.id})
    loose = v1.invoice_items.create(params={"customer": customer.id, "amount": 700,
                                            "currency": "usd"})
    v1.invoice_items.delete(loose.id)
    v1.invoices.delete(draft.id)
    v1.invoices.search(params={"query": "status:'paid'"})

    # credit notes: before payment, after payment refunded and out of band, voided
    open_invoice = v1.invoices.create(params={"customer": customer.id,
                                              "collection_method": "send_invoice",
                                              "days_until_due": 30,
                                              "default_tax_rates": [rate.id]})
    v1.invoice_items.create(params={"customer": customer.id, "invoice": open_invoice.id,
                                    "amount": 9000, "currency": "usd"})
    open_invoice = v1.invoices.finalize_invoice(open_invoice.id)
    pre = v1.credit_notes.create(params={
        "invoice": open_invoice.id, "memo": "goodwill", "reason": "order_change",
        "lines": [{"type": "invoice_line_item", "quantity": 1, "amount": 3000,
                   "invoice_line_item": open_invoice.lines.data[0].id}]})
    v1.credit_notes.void_credit_note(pre.id)
    v1.credit_notes.create(params={"invoice": paid.id, "amount": 1000, "refund_amount": 600,
                                   "out_of_band_amount": 400, "reason": "duplicate"})
    v1.credit_notes.line_items.list(pre.id)

    # payments: a decline, a success with a receipt, a refund, a canceled intent
    intent = v1.payment_intents.create(params={
        "amount": 5000, "currency": "usd", "customer": customer.id,
        "payment_method": card.id, "receipt_email": "ap@tour.example",
        "description": "one payment", "metadata": {"order": "1"}})
    with pytest.raises(stripe.CardError):
        v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_chargeDeclined"})
    intent = v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    v1.payment_intents.retrieve(intent.id, params={"expand": ["latest_charge.balance_transaction"]})
    refund = v1.refunds.create(params={"payment_intent": intent.id, "amount": 1500,
                                       "reason": "requested_by_customer"})
    v1.refunds.retrieve(refund.id, params={"expand": ["charge"]})
    v1.charges.list(params={"customer": customer.id, "expand": ["data.customer"]})
    v1.balance_transactions.list(params={"limit": 100})
    doomed = v1.payment_intents.create(params={"amount": 900, "currency": "usd"})
    v1.payment_intents.cancel(doomed.id, params={"cancellation_reason": "abandoned"})
    v1.payment_intents.search(params={"query": "status:'succeeded'"})
    v1.payment_methods.list(params={"customer": customer.id})

    # webhooks and events; deletions
    endpoint = v1.webhook_endpoints.create(params={
        "url": "https://hooks.tour.example/stripe", "enabled_events": ["invoice.*"],
        "description": "tour", "api_version": "2026-10-28.endive"})
    v1.webhook_endpoints.update(endpoint.id, params={"disabled": True})
    v1.webhook_endpoints.list()
    v1.webhook_endpoints.delete(endpoint.id)
    spare = v1.products.create(params={"name": "Spare"})
    v1.products.delete(spare.id)
    v1.events.list(params={"limit": 100})
    v1.customers.search(params={"query": "name:'Tour Ltd'"})
    v1.customers.delete(customer.id)
    v1.customers.retrieve(customer.id)
    v1.test_helpers.test_clocks.delete(clock.id)


@dataclass
class Verdict:
    judge: Judge
    answers: int


@pytest.fixture(scope="module")
def verdict(tmp_path_factory: pytest.TempPathFactory) -> Verdict:
    """The tour, then one judgement over every answer this session recorded."""
    path: Path = tmp_path_factory.mktemp("stripe-contract")
    running = start_in_thread(SANDBOX, SandboxOptions(data_dir=path, settings={"rate_limit": 0},
                                                      recorder=RECORDER))
    try:
        tour(stripe.StripeClient("sk_test_contract", base_addresses={"api": running.base_url},
                                 max_network_retries=0))
    finally:
        running.stop()
    judge = Judge()
    answers = json_answers("stripe")
    for exchange in answers:
        judge.response(exchange.json(), f"{exchange.method} {exchange.path}")
    return Verdict(judge, len(answers))


_INDEX = re.compile(r"\[\d+\]")


def _problem(violation: Violation) -> str:
    where = _INDEX.sub("[]", violation.path.split(" ", 2)[-1])
    return f"{violation.kind} {where}: {violation.detail}"


def _owner(kind: str) -> str:
    cls = object_class(kind)
    assert cls is not None, kind
    return owner_name(cls)


def test_every_answer_has_every_documented_field_with_its_type(verdict: Verdict) -> None:
    assert verdict.answers > 50
    problems = [_problem(v) for v in verdict.judge.violations]
    assert not problems, summary(problems)


def test_every_object_the_sandbox_emulates_was_judged(verdict: Verdict) -> None:
    seen = set(verdict.judge.coverage.seen)
    assert {kind for kind in NULL_ONLY if _owner(kind) not in seen} == set()


def test_null_only_fields_are_null_and_the_others_carry_values(verdict: Verdict) -> None:
    """``NULL_ONLY`` (what the docs call present only as null) is exactly the set of
    documented fields that never had a value: the rest are emulated."""
    coverage = verdict.judge.coverage
    wrong: list[str] = []
    for kind, nulls in NULL_ONLY.items():
        cls = object_class(kind)
        assert cls is not None
        valued = coverage.valued.get(owner_name(cls), set())
        wrong += [f"{kind}.{name} is declared null-only but had a value"
                  for name in sorted(set(nulls) & valued)]
        # members for payment method types not in play are left out, as Stripe leaves them
        sent = coverage.seen.get(owner_name(cls), set())
        wrong += [f"{kind}.{name} is emulated but never had a value"
                  for name in sorted(sent - set(nulls) - valued)]
    assert not wrong, "\n".join(wrong)
