"""The Stripe connector against the sandbox: retries, idempotency, payments, intake, probe."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from pydantic import SecretStr

import stripe
from accord.canonical.billing import CreditNote, CreditNoteLine, CreditNoteReason, InvoiceStatus
from accord.canonical.catalog import IntervalUnit, Price, Product, ProductKind, Recurrence
from accord.canonical.ids import EntityType, new_id
from accord.canonical.money import Money
from accord.canonical.payments import PaymentStatus, Refund, RefundStatus
from accord.canonical.subscription import (
    Subscription,
    SubscriptionItem,
    SubscriptionStatus,
    UsageRecord,
)
from accord.connectors.base import ProbeStatus, WebhookRejected
from accord.connectors.stripe import CONNECTOR, mapping
from accord.connectors.stripe.client import Kind, StripeClient, idempotency_key
from accord.connectors.stripe.errors import to_accord_error
from accord.connectors.stripe.intake import StripeEventsPoller, StripeWebhookVerifier
from accord.connectors.stripe.probe import probe
from accord.connectors.stripe.settings import StripeSettings
from accord.errors import DataQualityError, PermanentError, RateLimited, TransientError
from accord.resilience.retry import RetriesExhausted, RetryPolicy
from accord.sandboxes.server import RunningSandbox

from .conftest import Receiver
from .test_conformance import connector_client, sample_customer


def test_error_table_honours_stripe_should_retry_and_retry_after() -> None:
    asked_not_to = stripe.APIError("boom", http_status=500,
                                   headers={"Stripe-Should-Retry": "false"})
    assert type(to_accord_error(asked_not_to)) is PermanentError
    asked_to = stripe.InvalidRequestError("locked", None, code="other", http_status=400,
                                          headers={"Stripe-Should-Retry": "true"})
    assert type(to_accord_error(asked_to)) is TransientError
    limited = to_accord_error(stripe.RateLimitError("slow down", http_status=429,
                                                    headers={"Retry-After": "2"}))
    assert isinstance(limited, RateLimited)
    assert limited.retry_after == 2
    gone = stripe.APIConnectionError("reset")
    assert type(to_accord_error(gone)) is TransientError


def test_rate_limited_calls_wait_at_least_retry_after(sandbox: RunningSandbox,
                                                      control: httpx.Client) -> None:
    control.post("/__sandbox/clock/freeze", json={}).raise_for_status()
    control.put("/__sandbox/faults", json={"rate_limit_per_second": 1}).raise_for_status()
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # time passes on the sandbox clock, not the wall
        waits.append(seconds)
        control.post("/__sandbox/clock/advance", json={"seconds": seconds}).raise_for_status()

    client = StripeClient(StripeSettings(base_url=sandbox.base_url,
                                         api_key=SecretStr("sk_test_retry")),
                          policy=RetryPolicy(max_attempts=4, base_delay=0.01), sleep=sleep)
    for _ in range(3):
        assert client.page(Kind.CUSTOMERS, None, 1).items == []
    assert len(waits) >= 2
    assert all(wait >= 1.0 for wait in waits)  # the sandbox sends Retry-After: 1


def test_server_errors_are_retried_then_exhausted(sandbox: RunningSandbox,
                                                  control: httpx.Client) -> None:
    control.put("/__sandbox/faults", json={"error_rate": 1.0, "error_status": 502}
                ).raise_for_status()
    attempts: list[float] = []
    client = StripeClient(StripeSettings(base_url=sandbox.base_url,
                                         api_key=SecretStr("sk_test_x")),
                          policy=RetryPolicy(max_attempts=3, base_delay=0.01),
                          sleep=attempts.append)
    with pytest.raises(RetriesExhausted) as caught:
        client.page(Kind.CUSTOMERS, None)
    assert caught.value.attempts == 3
    assert type(caught.value.last) is TransientError
    assert len(attempts) == 2


def test_creates_are_idempotent_by_canonical_id(sandbox: RunningSandbox) -> None:
    client = connector_client(sandbox)
    customer = sample_customer()
    first = client.create_customer(customer)
    second = client.create_customer(customer)
    assert first["id"] == second["id"]
    assert first["metadata"]["accord_id"] == customer.id
    assert len(list(client.iterate(Kind.CUSTOMERS))) == 1
    assert idempotency_key(customer.id, "create") == f"accord:{customer.id}:create"


def _invoice_for(client: StripeClient, stripe_customer: str, card: str) -> str:
    v1 = client.v1
    pm = v1.payment_methods.attach(card, params={"customer": stripe_customer})
    v1.customers.update(stripe_customer, params={
        "invoice_settings": {"default_payment_method": pm.id}})
    invoice = v1.invoices.create(params={"customer": stripe_customer, "currency": "eur"})
    v1.invoice_items.create(params={"customer": stripe_customer, "invoice": invoice.id,
                                    "amount": 4200, "currency": "eur"})
    return str(v1.invoices.finalize_invoice(invoice.id).id)


def test_a_decline_is_a_failed_payment_not_an_error(sandbox: RunningSandbox) -> None:
    client = connector_client(sandbox)
    canonical = sample_customer()
    customer = client.create_customer(canonical)
    invoice_id = _invoice_for(client, customer["id"], "pm_card_chargeCustomerFail")
    attempt = client.pay_invoice(invoice_id, attempt="1")
    assert not attempt.succeeded
    assert attempt.declined == "generic_decline"
    assert attempt.invoice["status"] == "open"
    payment = client.payment_of(attempt, customer_id=canonical.id, invoice_id=None)
    assert payment is not None
    assert payment.status is PaymentStatus.FAILED
    assert payment.failure_code == "generic_decline"


def test_a_paid_invoice_maps_to_a_succeeded_payment(sandbox: RunningSandbox) -> None:
    client = connector_client(sandbox)
    canonical = sample_customer()
    customer = client.create_customer(canonical)
    invoice_id = _invoice_for(client, customer["id"], "pm_card_visa")
    attempt = client.pay_invoice(invoice_id, attempt="1")
    assert attempt.succeeded
    invoice = mapping.invoice_from_stripe(attempt.invoice, customer_id=canonical.id,
                                          legal_entity="DE01")
    payment = client.payment_of(attempt, customer_id=canonical.id, invoice_id=invoice.id)
    assert payment is not None
    assert payment.status is PaymentStatus.SUCCEEDED
    assert payment.amount == invoice.total
    assert payment.allocations[0].invoice_id == invoice.id


def test_webhook_verifier_accepts_sandbox_deliveries(
        sandbox: RunningSandbox, control: httpx.Client, receiver: Receiver) -> None:
    client = connector_client(sandbox)
    endpoint = client.v1.webhook_endpoints.create(params={
        "url": receiver.url, "enabled_events": ["customer.created"]})
    client.create_customer(sample_customer())
    control.post("/__sandbox/stripe/webhooks/deliver").raise_for_status()
    body, signature = receiver.received[0]
    verifier = StripeWebhookVerifier(SecretStr(endpoint.secret))
    signed_at = datetime.fromtimestamp(int(signature.split(",")[0][2:]), UTC)
    event = verifier.verify(body, {"Stripe-Signature": signature}, signed_at)
    assert event.system == "stripe"
    assert event.event_type == "customer.created"
    assert event.payload["data"]["object"]["metadata"]["legal_entity"] == "DE01"
    late = signed_at + timedelta(seconds=301)
    cases = [
        (body, {"Stripe-Signature": signature}, late, "tolerance"),
        (body + b" ", {"Stripe-Signature": signature}, signed_at, "no signature matches"),
        (body, {}, signed_at, "missing"),
    ]
    for payload, headers, now, reason in cases:
        with pytest.raises(WebhookRejected) as rejected:
            verifier.verify(payload, headers, now)
        assert reason in rejected.value.reason
        assert str(endpoint.secret) not in rejected.value.reason
    assert verifier.verify(body, {"stripe-signature": signature},
                           signed_at + timedelta(seconds=300)).event_id == event.event_id


def test_events_poller_walks_forward_with_a_cursor(sandbox: RunningSandbox) -> None:
    client = connector_client(sandbox)
    made = [client.create_customer(sample_customer(f"Polled {i}"))["id"] for i in range(5)]
    poller = StripeEventsPoller(client)
    first = poller.poll(None, 3)
    assert [e.payload["data"]["object"]["id"] for e in first.events] == made[:3]
    second = poller.poll(first.cursor, 3)
    assert [e.payload["data"]["object"]["id"] for e in second.events] == made[3:]
    idle = poller.poll(second.cursor, 3)
    assert idle.events == ()
    assert idle.cursor == second.cursor
    later = client.create_customer(sample_customer("Later"))["id"]
    assert [e.payload["data"]["object"]["id"]
            for e in poller.poll(second.cursor, 3).events] == [later]


def test_probe_and_secrets(sandbox: RunningSandbox) -> None:
    assert probe(StripeSettings()).status is ProbeStatus.WARNING
    key = sandbox.credentials()["api_key"]
    good = StripeSettings(base_url=sandbox.base_url, api_key=SecretStr(key),
                          webhook_secret=SecretStr("whsec_x"))
    assert probe(good).status is ProbeStatus.OK
    bad = StripeSettings(base_url=sandbox.base_url, api_key=SecretStr("sk_live_wrong_key"))
    result = probe(bad)
    assert result.status is ProbeStatus.FAILED
    assert "sk_live_wrong_key" not in result.detail
    assert key not in repr(good)
    assert key not in repr(StripeClient(good))
    assert CONNECTOR.limits.requests_per_second == 25


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_STRIPE_API_KEY", "sk_live_abc")
    monkeypatch.setenv("ACCORD_STRIPE_BASE_URL", "http://127.0.0.1:12111")
    settings = StripeSettings()
    assert settings.api_key is not None
    assert settings.api_key.get_secret_value() == "sk_live_abc"
    assert settings.test_mode is False
    assert StripeClient(settings).limits.requests_per_second == 100


def test_usage_is_reported_once_per_canonical_record(sandbox: RunningSandbox) -> None:
    client = connector_client(sandbox)
    canonical = sample_customer()
    customer = client.create_customer(canonical)
    client.v1.billing.meters.create(params={
        "display_name": "Seats used", "event_name": "seat_hours",
        "default_aggregation": {"formula": "sum"}})
    usage = UsageRecord(subscription_id=new_id(EntityType.SUBSCRIPTION), product_sku="SEAT",
                        quantity=Decimal("12.5"),
                        occurred_at=datetime(2026, 1, 5, tzinfo=UTC))
    sent = client.report_usage(usage, event_name="seat_hours",
                               stripe_customer_id=customer["id"])
    assert sent["identifier"] == usage.id
    assert sent["payload"]["value"] == "12.5"
    with pytest.raises(DataQualityError):
        client.report_usage(usage, event_name="seat_hours", stripe_customer_id=customer["id"])


def test_find_by_accord_id_uses_search(sandbox: RunningSandbox) -> None:
    client = connector_client(sandbox)
    canonical = sample_customer()
    created = client.create_customer(canonical)
    client.create_customer(sample_customer("Someone else"))
    found = client.find_by_accord_id(Kind.CUSTOMERS, canonical.id)
    assert found is not None
    assert found["id"] == created["id"]
    assert client.find_by_accord_id(Kind.CUSTOMERS, sample_customer().id) is None
    with pytest.raises(PermanentError):
        client.find_by_accord_id(Kind.EVENTS, canonical.id)


def test_quote_to_cash_objects_map_back_to_canonical(sandbox: RunningSandbox) -> None:
    client = connector_client(sandbox)
    customer = sample_customer()
    stripe_customer = client.create_customer(customer)
    pm = client.v1.payment_methods.attach("pm_card_visa",
                                          params={"customer": stripe_customer["id"]})
    client.v1.customers.update(stripe_customer["id"], params={
        "invoice_settings": {"default_payment_method": pm.id}})
    product = Product(sku="PLAT-MONTHLY", name="Platform", kind=ProductKind.RECURRING,
                      revenue_category="subscription")
    stripe_product = client.create_product(product)
    price = Price(product_id=product.id, currency="EUR", unit_amount=Money.of("49.90", "EUR"),
                  recurrence=Recurrence(interval=IntervalUnit.MONTH))
    stripe_price = client.create_price(price, stripe_product["id"])
    subscription = Subscription(
        customer_id=customer.id, currency="EUR", status=SubscriptionStatus.ACTIVE,
        items=(SubscriptionItem(product_sku=product.sku, price_id=price.id,
                                quantity=Decimal(3), unit_amount=price.unit_amount),))
    stripe_sub = client.create_subscription(subscription,
                                            stripe_customer_id=stripe_customer["id"],
                                            stripe_price_ids={price.id: stripe_price["id"]})
    assert client.create_subscription(
        subscription, stripe_customer_id=stripe_customer["id"],
        stripe_price_ids={price.id: stripe_price["id"]})["id"] == stripe_sub["id"]
    back = mapping.subscription_from_stripe(
        stripe_sub, customer_id=customer.id,
        sku_of_product={stripe_product["id"]: product.sku},
        price_id_of={stripe_price["id"]: price.id})
    assert back.id == subscription.id
    assert back.items == subscription.items
    assert back.status is SubscriptionStatus.ACTIVE
    assert back.current_period is not None

    stripe_invoice = client.retrieve(Kind.INVOICES, stripe_sub["latest_invoice"])
    assert mapping.subscription_of_invoice(stripe_invoice) == stripe_sub["id"]
    invoice = mapping.invoice_from_stripe(
        stripe_invoice, customer_id=customer.id, legal_entity="DE01",
        subscription_id=subscription.id, sku_of_product={stripe_product["id"]: product.sku})
    assert invoice.status is InvoiceStatus.PAID
    assert invoice.total == Money.of("149.70", "EUR")
    assert invoice.lines[0].product_sku == product.sku
    assert invoice.service_period is not None

    note = CreditNote(number="draft", invoice_id=invoice.id, customer_id=customer.id,
                      currency="EUR", reason=CreditNoteReason.PRODUCT_UNSATISFACTORY,
                      lines=(CreditNoteLine(description="One seat back", quantity=Decimal(1),
                                            amount=Money.of("49.90", "EUR")),),
                      subtotal=Money.of("49.90", "EUR"), tax_total=Money.zero("EUR"),
                      total=Money.of("49.90", "EUR"), issue_date=invoice.issue_date)
    stripe_note = client.create_credit_note(note, stripe_invoice_id=stripe_invoice["id"],
                                            refund=True)
    mapped_note = mapping.credit_note_from_stripe(stripe_note, invoice_id=invoice.id,
                                                  customer_id=customer.id)
    assert mapped_note.id == note.id
    assert mapped_note.total == note.total
    assert mapped_note.reason is CreditNoteReason.PRODUCT_UNSATISFACTORY

    refund_id = stripe_note["refunds"][0]["refund"]
    stripe_refund = client.retrieve(Kind.REFUNDS, refund_id)
    charge = client.retrieve(Kind.CHARGES, stripe_refund["charge"])
    payment = mapping.payment_from_charge(charge, customer_id=customer.id,
                                          invoice_id=invoice.id)
    assert payment.status is PaymentStatus.PARTIALLY_REFUNDED
    refund = mapping.refund_from_stripe(stripe_refund, payment_id=payment.id,
                                        customer_id=customer.id)
    assert refund.amount == Money.of("49.90", "EUR")
    another = Refund(payment_id=payment.id, customer_id=customer.id,
                     amount=Money.of("10.00", "EUR"), status=RefundStatus.PENDING,
                     refunded_at=datetime(2026, 1, 1, tzinfo=UTC))
    made = client.create_refund(another, stripe_charge_id=charge["id"])
    assert client.create_refund(another, stripe_charge_id=charge["id"])["id"] == made["id"]
    assert mapping.refund_from_stripe(made, payment_id=payment.id,
                                      customer_id=customer.id).id == another.id


def test_poller_recovers_when_its_cursor_expired(sandbox: RunningSandbox,
                                                 control: httpx.Client) -> None:
    client = connector_client(sandbox)
    old = client.create_customer(sample_customer("Old"))["id"]
    poller = StripeEventsPoller(client)
    handled = poller.poll(None, 10)
    assert len(handled.events) == 1
    control.post("/__sandbox/clock/advance", json={"seconds": 31 * 86_400}).raise_for_status()
    fresh = client.create_customer(sample_customer("Fresh"))["id"]
    assert [e["data"]["object"]["id"] for e in client.list_events()] == [fresh]  # old expired
    assert old != fresh
    resumed = poller.poll(handled.cursor, 10)
    assert [e.payload["data"]["object"]["id"] for e in resumed.events] == [fresh]


def test_every_request_takes_a_slot_from_the_engines_gate(sandbox: RunningSandbox) -> None:
    taken: list[str] = []

    class CountingGate:
        @contextmanager
        def slot(self) -> Iterator[None]:
            taken.append("slot")
            yield

    client = StripeClient(StripeSettings(base_url=sandbox.base_url,
                                         api_key=SecretStr("sk_test_gate")),
                          gate=CountingGate())
    client.create_customer(sample_customer())
    list(client.iterate(Kind.CUSTOMERS))
    assert taken == ["slot", "slot"]
