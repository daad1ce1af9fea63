"""Contract tests: invoices, payments, refunds, credit notes and subscriptions."""

from __future__ import annotations

import httpx
import pytest

import stripe

DAY = 86_400


def _customer(client: stripe.StripeClient, card: str = "pm_card_visa",
              **extra: object) -> stripe.Customer:
    customer = client.v1.customers.create(params={"name": "Card Holder", **extra})  # type: ignore[typeddict-item]
    pm = client.v1.payment_methods.attach(card, params={"customer": customer.id})
    return client.v1.customers.update(
        customer.id, params={"invoice_settings": {"default_payment_method": pm.id}})


def _monthly_price(client: stripe.StripeClient, amount: int = 1500,
                   currency: str = "usd") -> stripe.Price:
    product = client.v1.products.create(params={"name": "Platform seat"})
    return client.v1.prices.create(params={"product": product.id, "currency": currency,
                                           "unit_amount": amount,
                                           "recurring": {"interval": "month"}})


def test_invoice_lifecycle_draft_finalize_pay_with_tax(client: stripe.StripeClient) -> None:
    customer = _customer(client)
    rate = client.v1.tax_rates.create(params={"display_name": "VAT", "percentage": "19",
                                              "inclusive": False, "country": "DE"})
    invoice = client.v1.invoices.create(params={"customer": customer.id, "currency": "eur",
                                                "default_tax_rates": [rate.id]})
    assert invoice.status == "draft"
    client.v1.invoice_items.create(params={"customer": customer.id, "invoice": invoice.id,
                                           "amount": 10000, "currency": "eur",
                                           "description": "Onboarding"})
    client.v1.invoice_items.create(params={"customer": customer.id, "invoice": invoice.id,
                                           "unit_amount_decimal": "1250", "quantity": 3,
                                           "currency": "eur", "description": "Seats"})
    draft = client.v1.invoices.retrieve(invoice.id)
    assert draft.subtotal == 13750
    assert draft.total == 13750 + 2613  # 19 % per line: 1900 + 712.5 -> 713
    assert draft.total_taxes is not None
    assert draft.total_taxes[0].amount == 2613
    lines = client.v1.invoices.line_items.list(invoice.id, params={"limit": 1})
    assert lines.has_more is True
    assert lines.data[0].parent.type == "invoice_item_details"
    final = client.v1.invoices.finalize_invoice(invoice.id)
    assert final.status == "open"
    assert final.number is not None
    assert final.status_transitions.finalized_at is not None
    paid = client.v1.invoices.pay(invoice.id)
    assert paid.status == "paid"
    assert paid.amount_paid == paid.total
    assert paid.amount_remaining == 0
    assert paid.status_transitions.paid_at is not None
    payment = paid.payments.data[0]
    assert payment.status == "paid"
    listed = client.v1.invoice_payments.list(params={"invoice": invoice.id})
    assert [p.id for p in listed.data] == [payment.id]
    assert client.v1.invoice_payments.retrieve(payment.id).amount_paid == paid.total
    intent = client.v1.payment_intents.retrieve(payment.payment.payment_intent)
    assert intent.status == "succeeded"
    assert intent.amount == paid.total


def test_void_and_mark_uncollectible(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"name": "No card"})
    invoices = []
    for _ in range(2):
        invoice = client.v1.invoices.create(params={"customer": customer.id,
                                                    "collection_method": "send_invoice",
                                                    "days_until_due": 14, "currency": "usd"})
        client.v1.invoice_items.create(params={"customer": customer.id, "invoice": invoice.id,
                                               "amount": 500, "currency": "usd"})
        invoices.append(client.v1.invoices.finalize_invoice(invoice.id))
    assert invoices[0].due_date is not None
    voided = client.v1.invoices.void_invoice(invoices[0].id)
    assert voided.status == "void"
    assert voided.status_transitions.voided_at is not None
    bad = client.v1.invoices.mark_uncollectible(invoices[1].id)
    assert bad.status == "uncollectible"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.mark_uncollectible(invoices[0].id)
    listed = client.v1.invoices.list(params={"customer": customer.id, "status": "void"})
    assert [i.id for i in listed.data] == [invoices[0].id]


def test_declined_payment_intent_carries_decline_code(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"name": "Declined"})
    with pytest.raises(stripe.CardError) as caught:
        client.v1.payment_intents.create(params={
            "amount": 2000, "currency": "usd", "customer": customer.id,
            "payment_method": "pm_card_chargeDeclinedInsufficientFunds", "confirm": True})
    error = caught.value
    assert error.http_status == 402
    assert error.code == "card_declined"
    assert error.error is not None
    assert error.error.decline_code == "insufficient_funds"
    intent_id = error.error.payment_intent.id
    intent = client.v1.payment_intents.retrieve(intent_id)
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error is not None
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert charge.status == "failed"
    assert charge.outcome.reason == "insufficient_funds"
    with pytest.raises(stripe.CardError) as attach:
        client.v1.payment_methods.attach("pm_card_chargeDeclined",
                                         params={"customer": customer.id})
    assert attach.value.error is not None
    assert attach.value.error.decline_code == "generic_decline"


def test_payment_and_refunds(client: stripe.StripeClient) -> None:
    intent = client.v1.payment_intents.create(params={
        "amount": 5000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True})
    assert intent.status == "succeeded"
    partial = client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 1500})
    assert partial.status == "succeeded"
    assert partial.charge == intent.latest_charge
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.refunds.create(params={"charge": intent.latest_charge, "amount": 4000})
    assert too_much.value.param == "amount"
    rest = client.v1.refunds.create(params={"charge": intent.latest_charge})
    assert rest.amount == 3500
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert charge.refunded is True
    assert charge.amount_refunded == 5000
    assert len(client.v1.refunds.list(params={"payment_intent": intent.id}).data) == 2


def test_three_decimal_currency_amounts_must_end_in_zero(client: stripe.StripeClient) -> None:
    ok = client.v1.payment_intents.create(params={"amount": 5120, "currency": "kwd"})
    assert ok.amount == 5120
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.create(params={"amount": 5124, "currency": "kwd"})
    assert caught.value.param == "amount"


def test_credit_notes_before_and_after_payment(client: stripe.StripeClient) -> None:
    customer = _customer(client)
    invoice = client.v1.invoices.create(params={"customer": customer.id, "currency": "usd"})
    client.v1.invoice_items.create(params={"customer": customer.id, "invoice": invoice.id,
                                           "amount": 10000, "currency": "usd"})
    invoice = client.v1.invoices.finalize_invoice(invoice.id)
    line = invoice.lines.data[0]
    pre = client.v1.credit_notes.create(params={
        "invoice": invoice.id, "reason": "order_change",
        "lines": [{"type": "invoice_line_item", "invoice_line_item": line.id,
                   "amount": 2500}]})
    assert pre.type == "pre_payment"
    assert pre.total == 2500
    assert client.v1.invoices.retrieve(invoice.id).amount_remaining == 7500
    paid = client.v1.invoices.pay(invoice.id)
    assert paid.amount_paid == 7500
    post = client.v1.credit_notes.create(params={
        "invoice": invoice.id, "refund_amount": 1000,
        "lines": [{"type": "custom_line_item", "description": "Goodwill",
                   "unit_amount": 1000, "quantity": 1}]})
    assert post.type == "post_payment"
    assert post.refunds[0].amount_refunded == 1000
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.credit_notes.create(params={"invoice": invoice.id, "amount": 99999})
    notes = client.v1.credit_notes.list(params={"invoice": invoice.id})
    assert {n.id for n in notes.data} == {pre.id, post.id}


def test_subscription_create_update_with_proration_and_cancel(
        client: stripe.StripeClient) -> None:
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": 1_767_225_600})
    customer = _customer(client, test_clock=clock.id)
    price = _monthly_price(client, 3000)
    sub = client.v1.subscriptions.create(params={
        "customer": customer.id, "items": [{"price": price.id, "quantity": 2}],
        "metadata": {"accord_id": "sub_x"}})
    assert sub.status == "active"
    first = client.v1.invoices.retrieve(sub.latest_invoice)
    assert first.billing_reason == "subscription_create"
    assert first.parent.subscription_details.subscription == sub.id
    assert first.amount_paid == 6000
    item = sub["items"].data[0]
    period = item.current_period_end - item.current_period_start
    # half way through the period, go from 2 to 4 seats
    client.v1.test_helpers.test_clocks.advance(
        clock.id, params={"frozen_time": clock.frozen_time + period // 2})
    updated = client.v1.subscriptions.update(sub.id, params={
        "items": [{"id": item.id, "quantity": 4}], "proration_behavior": "create_prorations"})
    assert updated["items"].data[0].quantity == 4
    pending = client.v1.invoice_items.list(params={"customer": customer.id, "pending": True})
    amounts = sorted(ii.amount for ii in pending.data)
    assert amounts == [-3000, 6000]
    assert all(ii.proration for ii in pending.data)
    client.v1.test_helpers.test_clocks.advance(
        clock.id, params={"frozen_time": item.current_period_end + 60})
    renewal = client.v1.invoices.list(params={"subscription": sub.id, "limit": 1}).data[0]
    assert renewal.billing_reason == "subscription_cycle"
    assert renewal.subtotal == 12000 + 3000  # four seats plus the net proration
    assert renewal.status == "paid"
    canceled = client.v1.subscriptions.cancel(sub.id)
    assert canceled.status == "canceled"
    assert client.v1.subscriptions.list(params={"customer": customer.id}).data == []
    every = client.v1.subscriptions.list(params={"customer": customer.id, "status": "all"})
    assert [s.id for s in every.data] == [sub.id]


def test_test_clock_renews_twice_with_invoices_and_payments(
        client: stripe.StripeClient) -> None:
    start = 1_767_225_600  # 2026-01-01T00:00:00Z
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": start,
                                                              "name": "two renewals"})
    customer = _customer(client, test_clock=clock.id)
    price = _monthly_price(client, 2500)
    sub = client.v1.subscriptions.create(params={"customer": customer.id,
                                                 "items": [{"price": price.id}]})
    item = sub["items"].data[0]
    assert item.current_period_end == 1_769_904_000  # 2026-02-01
    ready = client.v1.test_helpers.test_clocks.advance(
        clock.id, params={"frozen_time": 1_772_323_200 + 3600})  # 2026-03-01 01:00
    assert ready.status == "ready"
    invoices = client.v1.invoices.list(params={"subscription": sub.id}).data
    assert [i.billing_reason for i in invoices] == [
        "subscription_cycle", "subscription_cycle", "subscription_create"]
    assert all(i.status == "paid" and i.amount_paid == 2500 for i in invoices)
    assert [i.period_end for i in invoices[:2]] == [1_772_323_200, 1_769_904_000]
    charges = client.v1.charges.list(params={"customer": customer.id}).data
    assert len(charges) == 3
    assert all(c.status == "succeeded" for c in charges)
    current = client.v1.subscriptions.retrieve(sub.id)["items"].data[0]
    assert current.current_period_start == 1_772_323_200
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": start})


def test_declined_renewal_follows_the_dunning_schedule(client: stripe.StripeClient) -> None:
    start = 1_767_225_600
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": start})
    customer = _customer(client, test_clock=clock.id)
    price = _monthly_price(client, 4000)
    sub = client.v1.subscriptions.create(params={"customer": customer.id,
                                                 "items": [{"price": price.id}]})
    failing = client.v1.payment_methods.attach("pm_card_chargeCustomerFail",
                                               params={"customer": customer.id})
    client.v1.customers.update(customer.id, params={
        "invoice_settings": {"default_payment_method": failing.id}})
    renewal_at = sub["items"].data[0].current_period_end
    client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": renewal_at})
    invoice = client.v1.invoices.list(params={"subscription": sub.id, "limit": 1}).data[0]
    assert invoice.status == "open"
    assert invoice.attempt_count == 1
    assert invoice.next_payment_attempt == renewal_at + 3 * DAY
    assert client.v1.subscriptions.retrieve(sub.id).status == "past_due"
    # retries 3, 5 and 7 days after each previous attempt, then the subscription is canceled
    client.v1.test_helpers.test_clocks.advance(
        clock.id, params={"frozen_time": renewal_at + 8 * DAY})
    invoice = client.v1.invoices.retrieve(invoice.id)
    assert invoice.attempt_count == 3
    assert invoice.next_payment_attempt == renewal_at + 15 * DAY
    client.v1.test_helpers.test_clocks.advance(
        clock.id, params={"frozen_time": renewal_at + 16 * DAY})
    invoice = client.v1.invoices.retrieve(invoice.id)
    assert invoice.attempt_count == 4
    assert invoice.next_payment_attempt is None
    ended = client.v1.subscriptions.retrieve(sub.id)
    assert ended.status == "canceled"
    assert ended.cancellation_details.reason == "payment_failed"
    failures = client.v1.events.list(params={"type": "invoice.payment_failed"}).data
    assert len(failures) == 4
    declined = client.v1.charges.list(params={"customer": customer.id}).data
    assert [c.failure_code for c in declined[:4]] == ["card_declined"] * 4


def test_dunning_recovers_when_the_card_is_fixed(client: stripe.StripeClient) -> None:
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": 1_767_225_600})
    customer = _customer(client, test_clock=clock.id)
    sub = client.v1.subscriptions.create(params={
        "customer": customer.id, "items": [{"price": _monthly_price(client).id}]})
    failing = client.v1.payment_methods.attach("pm_card_chargeCustomerFail",
                                               params={"customer": customer.id})
    client.v1.customers.update(customer.id, params={
        "invoice_settings": {"default_payment_method": failing.id}})
    renewal_at = sub["items"].data[0].current_period_end
    client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": renewal_at})
    assert client.v1.subscriptions.retrieve(sub.id).status == "past_due"
    good = client.v1.payment_methods.attach("pm_card_mastercard",
                                            params={"customer": customer.id})
    client.v1.customers.update(customer.id, params={
        "invoice_settings": {"default_payment_method": good.id}})
    client.v1.test_helpers.test_clocks.advance(
        clock.id, params={"frozen_time": renewal_at + 3 * DAY})
    invoice = client.v1.invoices.list(params={"subscription": sub.id, "limit": 1}).data[0]
    assert invoice.status == "paid"
    assert invoice.attempt_count == 2
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"


def test_events_list_paginates_and_filters(client: stripe.StripeClient) -> None:
    for index in range(12):
        client.v1.customers.create(params={"name": f"e{index}"})
    client.v1.products.create(params={"name": "p"})
    created = client.v1.events.list(params={"type": "customer.created", "limit": 5})
    assert created.has_more is True
    every = list(client.v1.events.list(params={"type": "customer.created", "limit": 5}
                                       ).auto_paging_iter())
    assert len(every) == 12
    assert every[0].data.object.name == "e11"
    wildcard = client.v1.events.list(params={"types": ["product.*"]}).data
    assert [e.type for e in wildcard] == ["product.created"]


def test_subscription_items_endpoints_prorate_like_updates(client: stripe.StripeClient) -> None:
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": 1_767_225_600})
    customer = _customer(client, test_clock=clock.id)
    base = _monthly_price(client, 1000)
    addon = _monthly_price(client, 500)
    sub = client.v1.subscriptions.create(params={"customer": customer.id,
                                                 "items": [{"price": base.id}]})
    added = client.v1.subscription_items.create(params={
        "subscription": sub.id, "price": addon.id, "quantity": 2,
        "proration_behavior": "none"})
    assert added.quantity == 2
    changed = client.v1.subscription_items.update(added.id, params={
        "quantity": 3, "proration_behavior": "none"})
    assert changed.quantity == 3
    listed = client.v1.subscription_items.list(params={"subscription": sub.id})
    assert {i.id for i in listed.data} == {sub["items"].data[0].id, added.id}
    client.v1.subscription_items.delete(added.id, params={"proration_behavior": "none"})
    assert len(client.v1.subscriptions.retrieve(sub.id)["items"].data) == 1


def test_sandbox_clock_renews_customers_without_a_test_clock(
        client: stripe.StripeClient, control: httpx.Client) -> None:
    customer = _customer(client)
    sub = client.v1.subscriptions.create(params={
        "customer": customer.id, "items": [{"price": _monthly_price(client, 700).id}]})
    control.post("/__sandbox/clock/advance", json={"seconds": 32 * DAY}).raise_for_status()
    invoices = client.v1.invoices.list(params={"subscription": sub.id}).data
    assert [i.billing_reason for i in invoices] == ["subscription_cycle", "subscription_create"]
    assert invoices[0].status == "paid"


def test_metered_usage_is_billed_in_arrears(client: stripe.StripeClient) -> None:
    start = 1_767_225_600
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": start})
    customer = _customer(client, test_clock=clock.id)
    meter = client.v1.billing.meters.create(params={
        "display_name": "API calls", "event_name": "api_call",
        "default_aggregation": {"formula": "sum"},
        "customer_mapping": {"event_payload_key": "stripe_customer_id", "type": "by_id"},
        "value_settings": {"event_payload_key": "value"}})
    product = client.v1.products.create(params={"name": "API"})
    price = client.v1.prices.create(params={
        "product": product.id, "currency": "usd", "unit_amount_decimal": "0.5",
        "recurring": {"interval": "month", "usage_type": "metered", "meter": meter.id}})
    sub = client.v1.subscriptions.create(params={"customer": customer.id,
                                                 "items": [{"price": price.id}]})
    assert client.v1.invoices.retrieve(sub.latest_invoice).total == 0
    for value, identifier in ((1200, "u1"), (801, "u2")):
        client.v1.billing.meter_events.create(params={
            "event_name": "api_call", "identifier": identifier, "timestamp": start + 3600,
            "payload": {"stripe_customer_id": customer.id, "value": str(value)}})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.billing.meter_events.create(params={
            "event_name": "api_call", "identifier": "u1",
            "payload": {"stripe_customer_id": customer.id, "value": "5"}})
    end = sub["items"].data[0].current_period_end
    summary = client.v1.billing.meters.event_summaries.list(meter.id, params={
        "customer": customer.id, "start_time": start, "end_time": end})
    assert summary.data[0].aggregated_value == 2001
    client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": end})
    renewal = client.v1.invoices.list(params={"subscription": sub.id, "limit": 1}).data[0]
    assert renewal.billing_reason == "subscription_cycle"
    assert renewal.total == 1001  # 2001 calls at half a cent, rounded half up
    assert renewal.lines.data[0].period.start == start


def test_credit_balance_from_a_credit_note_pays_part_of_the_next_invoice(
        client: stripe.StripeClient) -> None:
    customer = _customer(client)

    def invoice_for(amount: int) -> stripe.Invoice:
        draft = client.v1.invoices.create(params={"customer": customer.id, "currency": "usd"})
        client.v1.invoice_items.create(params={"customer": customer.id, "invoice": draft.id,
                                               "amount": amount, "currency": "usd"})
        return client.v1.invoices.finalize_invoice(draft.id)

    paid = client.v1.invoices.pay(invoice_for(10000).id)
    note = client.v1.credit_notes.create(params={"invoice": paid.id, "amount": 3000})
    assert note.type == "post_payment"
    assert client.v1.customers.retrieve(customer.id).balance == -3000
    second = invoice_for(5000)
    assert second.starting_balance == -3000
    assert second.ending_balance == 0
    assert second.total == 5000
    assert second.amount_due == 2000
    assert client.v1.invoices.pay(second.id).amount_paid == 2000
    voided = client.v1.credit_notes.void_credit_note(note.id)
    assert voided.status == "void"


def test_customer_created_with_a_default_card_pays_subscriptions(
        client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={
        "name": "Ready", "payment_method": "pm_card_visa",
        "invoice_settings": {"default_payment_method": "pm_card_visa"}})
    default = customer.invoice_settings.default_payment_method
    assert default is not None
    assert default.startswith("pm_")
    assert default != "pm_card_visa"
    methods = client.v1.customers.payment_methods.list(customer.id)
    assert [pm.id for pm in methods.data] == [default]
    sub = client.v1.subscriptions.create(params={
        "customer": customer.id, "items": [{"price": _monthly_price(client).id}]})
    assert sub.status == "active"
