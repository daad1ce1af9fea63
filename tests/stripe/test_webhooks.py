"""Webhooks: signed delivery verified by stripe.Webhook.construct_event, retries, faults."""

from __future__ import annotations

import httpx
import pytest

import stripe

from .conftest import Receiver


def _deliver(control: httpx.Client) -> dict[str, int]:
    answer = control.post("/__sandbox/stripe/webhooks/deliver")
    answer.raise_for_status()
    result: dict[str, int] = answer.json()
    return result


def test_signed_delivery_is_accepted_by_construct_event(
        client: stripe.StripeClient, control: httpx.Client, receiver: Receiver) -> None:
    endpoint = client.v1.webhook_endpoints.create(params={
        "url": receiver.url, "enabled_events": ["customer.created", "invoice.*"]})
    assert endpoint.secret is not None
    assert endpoint.secret.startswith("whsec_")
    customer = client.v1.customers.create(params={"name": "Hooked"})
    client.v1.products.create(params={"name": "not subscribed"})
    _deliver(control)
    assert len(receiver.received) == 1
    body, signature = receiver.received[0]
    event = stripe.Webhook.construct_event(body, signature, endpoint.secret)
    assert event.type == "customer.created"
    assert event.data.object.id == customer.id
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, signature, "whsec_wrong")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body.replace(b"Hooked", b"Hacked"), signature,
                                       endpoint.secret)


def test_failed_delivery_is_retried_with_backoff(
        client: stripe.StripeClient, control: httpx.Client, receiver: Receiver) -> None:
    receiver.fail_first = 2
    client.v1.webhook_endpoints.create(params={"url": receiver.url,
                                               "enabled_events": ["*"]})
    customer = client.v1.customers.create(params={"name": "Retry me"})
    _deliver(control)
    assert receiver.received == []
    event = client.v1.events.list(params={"type": "customer.created"}).data[0]
    assert event.pending_webhooks == 1
    # the first retry waits 60 s of sandbox time, the second 120 s
    control.post("/__sandbox/clock/advance", json={"seconds": 61}).raise_for_status()
    _deliver(control)
    assert receiver.received == []
    control.post("/__sandbox/clock/advance", json={"seconds": 121}).raise_for_status()
    _deliver(control)
    assert len(receiver.received) == 1
    assert customer.id.encode() in receiver.received[0][0]
    view = control.get("/__sandbox/stripe/webhooks").json()
    assert [a["attempt"] for a in view["attempts"]] == [1, 2, 3]
    assert client.v1.events.retrieve(event.id).pending_webhooks == 0


def test_duplicate_and_out_of_order_delivery_faults(
        client: stripe.StripeClient, control: httpx.Client, receiver: Receiver) -> None:
    endpoint = client.v1.webhook_endpoints.create(params={
        "url": receiver.url, "enabled_events": ["customer.created"]})
    control.put("/__sandbox/stripe/webhooks",
                json={"duplicate": True, "reverse_order": True, "hold": True}
                ).raise_for_status()
    first = client.v1.customers.create(params={"name": "first"})
    second = client.v1.customers.create(params={"name": "second"})
    assert receiver.received == []  # held until delivered on demand
    assert _deliver(control)["delivered"] == 2
    assert endpoint.secret is not None
    ids = [stripe.Webhook.construct_event(body, sig, endpoint.secret).data.object.id
           for body, sig in receiver.received]
    assert ids == [second.id, second.id, first.id, first.id]
