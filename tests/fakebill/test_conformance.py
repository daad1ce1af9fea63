"""The shared connector conformance suite (``accord.testing.conformance``), run against
FakeBill - a connector from outside accord is judged as accord's own are - and its intake:
signed deliveries and the event feed."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import SecretStr

from accord.canonical.catalog import IntervalUnit, Price, Product, ProductKind, Recurrence
from accord.canonical.money import Money
from accord.connectors.base import WebhookRejected
from accord.demo.processes import free_port
from accord.errors import DataQualityError, PermanentError, TransientError
from accord.testing.conformance import (
    ConformanceHarness,
    ConnectorConformance,
    ErrorCase,
    RoundTrip,
)
from tests.fakebill.app import signature
from tests.fakebill.connector import CONNECTOR
from tests.fakebill.connector.billing import FakeBillBilling, money
from tests.fakebill.connector.client import FakeBillClient
from tests.fakebill.connector.conformance import FakeBillKit, start
from tests.fakebill.connector.intake import FakeBillEventsPoller, FakeBillWebhookVerifier
from tests.fakebill.connector.settings import FakeBillSettings

NAMES = itertools.count(1)


@pytest.fixture
def kit(tmp_path: Path) -> Iterator[FakeBillKit]:
    found = start(tmp_path)
    yield found
    found.stop()


def client(base_url: str, key: str) -> FakeBillClient:
    return FakeBillClient(FakeBillSettings(base_url=base_url, api_key=SecretStr(key)))


def price_round_trip(billing: FakeBillBilling, amount: str, currency: str) -> RoundTrip:
    """A price's amount -> FakeBill's minor units -> the same Money."""
    product = billing.ensure_product(Product(sku=f"RT-{currency}", name=f"Plan {currency}",
                                             kind=ProductKind.RECURRING,
                                             revenue_category="subscription"))

    def to_system(value: Money) -> str:
        return billing.ensure_price(Price(product_id="prd_" + "0" * 26, currency=currency,
                                          unit_amount=value,
                                          recurrence=Recurrence(interval=IntervalUnit.MONTH)),
                                    product)

    def from_system(plan: str) -> Money:
        found = billing.client.get("plans", plan)
        return money(found["amount"], found["currency"])

    return RoundTrip(f"{amount} {currency}", Money.of(Decimal(amount), currency), to_system,
                     from_system)


class TestFakeBillConformance(ConnectorConformance):
    @pytest.fixture
    def harness(self, kit: FakeBillKit) -> ConformanceHarness:
        fakebill = client(kit.base_url, str(kit.settings["api_key"]))
        billing = FakeBillBilling(fakebill, system="fakebill")

        def create(key: str | None) -> str:
            body = {"name": f"Customer {next(NAMES)}", "currency": "USD"}
            return str(fakebill.create("customers", body, key=key or f"seed-{body['name']}")
                       ["id"])

        def seed(count: int) -> None:
            for _ in range(count):
                create(None)

        def wrong_key() -> None:
            client(kit.base_url, "fb_wrong").list("customers")

        def missing_name() -> None:
            fakebill.create("customers", {"currency": "USD"}, key="no-name")

        def unknown() -> None:
            fakebill.get("invoices", "fbi_999999")

        def unreachable() -> None:
            client(f"http://127.0.0.1:{free_port()}", "fb_any").list("customers")

        return ConformanceHarness(
            definition=CONNECTOR, seed_records=seed,
            list_ids=lambda size: [c["id"] for c in fakebill.iterate("customers", size)],
            error_cases=[ErrorCase("wrong API key", wrong_key, PermanentError),
                         ErrorCase("a required field missing", missing_name, DataQualityError),
                         ErrorCase("no such record", unknown, PermanentError),
                         ErrorCase("FakeBill unreachable", unreachable, TransientError)],
            round_trips=[price_round_trip(billing, "49.00", "USD"),
                         price_round_trip(billing, "4900", "JPY"),
                         price_round_trip(billing, "1.250", "KWD")],
            create_idempotent=create,
            count_created=lambda: len(list(fakebill.iterate("customers"))))


def test_a_signed_delivery_is_verified_and_a_forged_or_stale_one_refused() -> None:
    secret = "fbwhsec_test"
    event = {"id": "ev_00000007", "type": "invoice.issued", "created": 1_800_000_000,
             "data": {"id": "fbi_000003", "number": "FB-000001", "customer": "fbc_000001"}}
    body = json.dumps(event).encode()
    now = datetime.fromtimestamp(1_800_000_010, UTC)
    verifier = FakeBillWebhookVerifier(SecretStr(secret), tolerance_seconds=300)

    def signed(key: str, at: int) -> dict[str, str]:
        return {"FakeBill-Signature": f"t={at},v1={signature(key, at, body)}"}

    received = verifier.verify(body, signed(secret, 1_800_000_005), now)
    assert (received.event_id, received.event_type) == ("ev_00000007", "invoice.issued")
    assert CONNECTOR.canonical_event(received.event_type) == "invoice.finalized"
    assert CONNECTOR.describe_event is not None
    assert CONNECTOR.describe_event(received).keys == {"billing_invoice_id": "fbi_000003",
                                                       "invoice_number": "FB-000001"}
    for headers, reason in ((signed("fbwhsec_other", 1_800_000_005), "no signature"),
                            (signed(secret, 1_799_999_000), "outside the tolerance"),
                            ({}, "missing")):
        with pytest.raises(WebhookRejected, match=reason):
            verifier.verify(body, headers, now)
    assert secret not in repr(verifier)


def test_the_event_feed_is_read_once_after_its_cursor(kit: FakeBillKit) -> None:
    fakebill = client(kit.base_url, str(kit.settings["api_key"]))
    poller = FakeBillEventsPoller(fakebill)
    assert poller.initial_cursor() is None
    fakebill.create("customers", {"name": "Before", "currency": "USD"}, key="before")
    start = poller.initial_cursor()
    for name in ("First", "Second", "Third"):
        fakebill.create("customers", {"name": name, "currency": "EUR"}, key=name)
    first = poller.poll(start, 2)
    rest = poller.poll(first.cursor, 2)
    assert [e.payload["data"]["name"] for e in (*first.events, *rest.events)] == \
        ["First", "Second", "Third"]
    assert poller.poll(rest.cursor, 2).events == ()
