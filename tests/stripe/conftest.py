"""Fixtures: a Stripe sandbox on a free port and official ``stripe`` clients pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import stripe
from accord.sandboxes.base import SandboxOptions
from accord.sandboxes.server import RunningSandbox, start_in_thread
from accord.sandboxes.stripe import SANDBOX


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[RunningSandbox]:
    running = start_in_thread(SANDBOX, SandboxOptions(data_dir=tmp_path,
                                                      settings={"rate_limit": 0}))
    yield running
    running.stop()


@pytest.fixture
def client(sandbox: RunningSandbox) -> stripe.StripeClient:
    key = sandbox.credentials()["api_key"]
    return stripe.StripeClient(key, base_addresses={"api": sandbox.base_url},
                               max_network_retries=0)


@pytest.fixture
def control(sandbox: RunningSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.base_url) as http:
        yield http


def customer_with_card(client: stripe.StripeClient, card: str = "pm_card_visa",
                       **extra: Any) -> stripe.Customer:
    customer = client.v1.customers.create(params={"name": "Card Holder", **extra})
    pm = client.v1.payment_methods.attach(card, params={"customer": customer.id})
    return client.v1.customers.update(
        customer.id, params={"invoice_settings": {"default_payment_method": pm.id}})
