"""The optional SQLite state file: records, idempotency results and secrets survive a restart."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.sandboxes.contract import RECORDER

import stripe
from accord.sandboxes.base import SandboxOptions
from accord.sandboxes.server import start_in_thread
from accord.sandboxes.stripe import SANDBOX


def _client(base_url: str) -> stripe.StripeClient:
    return stripe.StripeClient("sk_test_persist", base_addresses={"api": base_url},
                               max_network_retries=0)


def test_state_survives_a_restart(tmp_path: Path) -> None:
    options = SandboxOptions(data_dir=tmp_path, state_file=tmp_path / "stripe.sqlite",
                             recorder=RECORDER,
                             settings={"rate_limit": 0})
    first = start_in_thread(SANDBOX, options)
    try:
        client = _client(first.base_url)
        customer = client.v1.customers.create(params={"name": "Durable"},
                                              options={"idempotency_key": "durable-1"})
        pm = client.v1.payment_methods.attach("pm_card_chargeCustomerFail",
                                              params={"customer": customer.id})
    finally:
        first.stop()
    again = start_in_thread(SANDBOX, options)
    try:
        client = _client(again.base_url)
        assert client.v1.customers.retrieve(customer.id).name == "Durable"
        replay = client.v1.customers.create(params={"name": "Durable"},
                                            options={"idempotency_key": "durable-1"})
        assert replay.id == customer.id
        # the card keeps declining after the restart
        with pytest.raises(stripe.CardError) as declined:
            client.v1.payment_intents.create(params={
                "amount": 100, "currency": "usd", "customer": customer.id,
                "payment_method": pm.id, "confirm": True})
        assert declined.value.code == "card_declined"
        second = client.v1.customers.create(params={"name": "Newer"})
        listed = [c.id for c in client.v1.customers.list().data]
        assert listed == [second.id, customer.id]
    finally:
        again.stop()
