"""The shared connector conformance suite, run against the Stripe sandbox."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

import stripe
from accord.canonical.catalog import IntervalUnit, Price, Product, ProductKind, Recurrence
from accord.canonical.money import Money
from accord.canonical.party import Address, Contact, ContactRole, Customer
from accord.connectors.stripe import CONNECTOR, mapping
from accord.connectors.stripe.client import Kind, StripeClient
from accord.connectors.stripe.settings import StripeSettings
from accord.errors import (
    ConflictError,
    DataQualityError,
    PermanentError,
    RateLimited,
    TransientError,
)
from accord.resilience.retry import RetryPolicy
from accord.sandboxes.server import RunningSandbox
from accord.testing.conformance import (
    ConformanceHarness,
    ConnectorConformance,
    ErrorCase,
    RoundTrip,
)


def connector_client(sandbox: RunningSandbox, key: str | None = None) -> StripeClient:
    settings = StripeSettings(base_url=sandbox.base_url,
                              api_key=SecretStr(key or sandbox.credentials()["api_key"]))
    return StripeClient(settings, policy=RetryPolicy(max_attempts=3, base_delay=0),
                        sleep=lambda _: None)


def sample_customer(name: str = "Northwind Analytics GmbH") -> Customer:
    return Customer(
        legal_name=name, legal_entity="DE01", currency="EUR",
        billing_address=Address(line1="Friedrichstr. 1", city="Berlin", postal_code="10117",
                                country="DE"),
        contacts=(Contact(name="Ada Weber", email="ap@northwind.example",
                          role=ContactRole.BILLING),),
        domain="northwind.example")


@contextmanager
def faults(control: httpx.Client, **settings: Any) -> Iterator[None]:
    control.put("/__sandbox/faults", json=settings).raise_for_status()
    try:
        yield
    finally:
        control.delete("/__sandbox/faults").raise_for_status()
        control.post("/__sandbox/clock/unfreeze").raise_for_status()


def error_cases(client: StripeClient, sandbox: RunningSandbox,
                control: httpx.Client) -> list[ErrorCase]:
    def rate_limited() -> None:
        control.post("/__sandbox/clock/freeze", json={}).raise_for_status()
        with faults(control, rate_limit_per_second=1):
            client.page(Kind.CUSTOMERS, None, 1)
            client.call(client.v1.customers.list, retry=False)

    def server_error() -> None:
        with faults(control, error_rate=1.0, error_status=503):
            client.call(client.v1.customers.list, retry=False)

    def conflicting_key() -> None:
        options: stripe.RequestOptions = {"idempotency_key": "conformance-conflict"}
        client.call(lambda: client.v1.customers.create(params={"name": "a"}, options=options))
        client.call(lambda: client.v1.customers.create(params={"name": "b"}, options=options))

    def declined_card() -> None:
        customer = client.create_customer(sample_customer())
        client.call(lambda: client.v1.payment_methods.attach(
            "pm_card_chargeDeclined", params={"customer": customer["id"]}))

    bad_key = connector_client(sandbox, "sk_live_not_accepted")
    return [
        ErrorCase("bad API key", lambda: bad_key.page(Kind.CUSTOMERS, None), PermanentError),
        ErrorCase("missing record", lambda: client.retrieve(Kind.CUSTOMERS, "cus_missing"),
                  DataQualityError),
        ErrorCase("missing parameter", lambda: client.call(lambda: client.v1.prices.create(
            params={"currency": "usd", "unit_amount": 5})), DataQualityError),
        ErrorCase("idempotency key reused", conflicting_key, ConflictError),
        ErrorCase("unknown parameter", lambda: client.call(lambda: client.v1.customers.create(
            params={"nmae": "typo"})), PermanentError),
        ErrorCase("rate limit", rate_limited, RateLimited),
        ErrorCase("server error", server_error, TransientError),
        ErrorCase("card declined", declined_card, DataQualityError),
    ]


def round_trips(client: StripeClient) -> list[RoundTrip]:
    product = Product(sku="PLAT-ANNUAL", name="Platform, annual seat",
                      kind=ProductKind.RECURRING, revenue_category="subscription")
    stripe_product = client.create_product(product)

    def price(amount: str, currency: str, recurring: bool = True) -> Price:
        return Price(product_id=product.id, currency=currency,
                     unit_amount=Money.of(Decimal(amount), currency),
                     recurrence=Recurrence(interval=IntervalUnit.YEAR) if recurring else None)

    def price_round_trip(value: Price) -> RoundTrip:
        return RoundTrip(f"price {value.unit_amount}", value,
                         lambda v: client.create_price(v, stripe_product["id"]),
                         mapping.price_from_stripe,
                         lambda p: p.model_dump(exclude={"external_ids"}))

    return [
        RoundTrip("customer", sample_customer(), client.create_customer,
                  mapping.customer_from_stripe,
                  lambda c: c.model_dump(exclude={"external_ids"})),
        RoundTrip("product", product, lambda _: stripe_product, mapping.product_from_stripe,
                  lambda p: p.model_dump(exclude={"external_ids"})),
        price_round_trip(price("1200.00", "USD")),
        price_round_trip(price("98000", "JPY", recurring=False)),
        price_round_trip(price("12.345", "KWD")),
        price_round_trip(price("0.0015", "USD")),  # finer than a cent: unit_amount_decimal
    ]


class TestStripeConformance(ConnectorConformance):
    @pytest.fixture
    def harness(self, sandbox: RunningSandbox, control: httpx.Client) -> ConformanceHarness:
        client = connector_client(sandbox)
        replayed: dict[str, Customer] = {}

        def seed(count: int) -> None:
            for index in range(count):
                client.create_customer(sample_customer(f"Seeded {index}"))

        def list_ids(page_size: int) -> list[str]:
            return [c["id"] for c in client.iterate(Kind.CUSTOMERS, page_size=page_size)]

        def create_idempotent(key: str) -> str:
            customer = replayed.setdefault(key, sample_customer(f"Replay {key}"))
            created: dict[str, Any] = client.create_customer(customer)
            return str(created["id"])

        count: Callable[[], int] = lambda: len(list_ids(100))  # noqa: E731
        return ConformanceHarness(
            definition=CONNECTOR, seed_records=seed, list_ids=list_ids,
            error_cases=error_cases(client, sandbox, control),
            round_trips=round_trips(client), create_idempotent=create_idempotent,
            count_created=count)
