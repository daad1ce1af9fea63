"""Mapping round trips: no amount ever changes through canonical Money.

Zero-decimal (JPY, KRW, CLP), two-decimal (USD, EUR) and three-decimal (KWD, BHD, JOD, OMR,
TND) currencies: Stripe sends integer minor units (fils for KWD), which become Money by the
currency's exponent and go back unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from tests.sandboxes.contract import RECORDER

from accord.canonical.catalog import Price, PriceTier, Product, ProductKind, TiersMode
from accord.canonical.money import Money
from accord.canonical.party import Customer
from accord.connectors.stripe import mapping
from accord.connectors.stripe.client import Kind, StripeClient
from accord.connectors.stripe.settings import StripeSettings
from accord.errors import DataQualityError
from accord.resilience.retry import RetryPolicy
from accord.sandboxes.base import SandboxOptions
from accord.sandboxes.server import RunningSandbox, start_in_thread
from accord.sandboxes.stripe import SANDBOX

ZERO = ["JPY", "KRW", "CLP"]
TWO = ["USD", "EUR", "GBP"]
THREE = ["KWD", "BHD", "JOD", "OMR", "TND"]
CURRENCIES = st.sampled_from(ZERO + TWO + THREE)
MINOR = st.integers(min_value=0, max_value=10**15)


@given(minor=MINOR, currency=CURRENCIES)
def test_minor_units_survive_money(minor: int, currency: str) -> None:
    value = mapping.money(minor, currency.lower())
    assert value.currency == currency
    assert mapping.minor_units(value) == minor


def test_exponents_match_stripe_minor_units() -> None:
    assert mapping.money(1050, "usd") == Money.of("10.50", "USD")
    assert mapping.money(1050, "jpy") == Money.of(1050, "JPY")
    assert mapping.money(5120, "kwd") == Money.of("5.120", "KWD")


@given(minor=st.decimals(min_value=0, max_value=10**9, places=6, allow_nan=False,
                         allow_infinity=False), currency=CURRENCIES)
def test_fractional_unit_amounts_survive_as_decimal_strings(minor: Decimal,
                                                            currency: str) -> None:
    value = Money.of(minor.scaleb(-Money.zero(currency).exponent), currency)
    text = mapping.decimal_minor_units(value)
    assert mapping.money_from_decimal(text, currency.lower()) == value


def _stripe_price(params: dict[str, object], price_id: str = "price_x") -> dict[str, object]:
    """What Stripe answers for a create with ``params`` (the fields the mapper reads)."""
    recurring = params.get("recurring")
    unit = params.get("unit_amount")
    unit_decimal = params.get("unit_amount_decimal")
    return {"id": price_id, "object": "price", "currency": params["currency"],
            "active": params["active"], "metadata": params["metadata"],
            "recurring": recurring, "tiers_mode": params.get("tiers_mode"),
            "billing_scheme": params.get("billing_scheme", "per_unit"),
            "tiers": [{"up_to": None if t["up_to"] == "inf" else t["up_to"],  # type: ignore[index]
                       "unit_amount": t.get("unit_amount"),  # type: ignore[attr-defined]
                       "unit_amount_decimal": t.get("unit_amount_decimal"),  # type: ignore[attr-defined]
                       "flat_amount": t.get("flat_amount")}  # type: ignore[attr-defined]
                      for t in params.get("tiers", [])] or None,  # type: ignore[attr-defined]
            "unit_amount": unit,
            "unit_amount_decimal": None if unit is None and unit_decimal is None
            else str(unit_decimal if unit_decimal is not None else unit)}


@given(minor=MINOR, currency=CURRENCIES, flat=MINOR)
def test_tiered_price_round_trip(minor: int, currency: str, flat: int) -> None:
    product = Product(sku="API", name="API", kind=ProductKind.USAGE, revenue_category="usage")
    price = Price(product_id=product.id, currency=currency, tiers_mode=TiersMode.VOLUME,
                  tiers=(PriceTier(up_to=100, unit_amount=mapping.money(minor, currency),
                                   flat_amount=mapping.money(flat, currency)),
                         PriceTier(up_to=None, unit_amount=mapping.money(0, currency))))
    back = mapping.price_from_stripe(_stripe_price(mapping.price_params(price, "prod_1")))
    assert back.model_dump(exclude={"external_ids"}) == price.model_dump(
        exclude={"external_ids"})


def test_missing_metadata_is_a_data_quality_error() -> None:
    with pytest.raises(DataQualityError) as caught:
        mapping.customer_from_stripe({"id": "cus_1", "name": "x", "metadata": {}})
    assert caught.value.field == "metadata.legal_entity"
    with pytest.raises(DataQualityError) as product:
        mapping.product_from_stripe({"id": "prod_1", "name": "x", "metadata": {}})
    assert product.value.field == "metadata.sku"


# -- through the sandbox ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def module_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    path: Path = tmp_path_factory.mktemp("stripe-mapping")
    running = start_in_thread(SANDBOX, SandboxOptions(data_dir=path,
                                                      settings={"rate_limit": 0},
                                                      recorder=RECORDER))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def connector(module_sandbox: RunningSandbox) -> StripeClient:
    return StripeClient(StripeSettings(base_url=module_sandbox.base_url,
                                       api_key=SecretStr("sk_test_mapping")),
                        policy=RetryPolicy(max_attempts=1))


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(minor=st.integers(min_value=0, max_value=10**11), currency=CURRENCIES)
def test_price_amounts_survive_stripe(connector: StripeClient, minor: int,
                                      currency: str) -> None:
    product = Product(sku="SEAT", name="Seat", kind=ProductKind.RECURRING,
                      revenue_category="subscription")
    stripe_product = connector.create_product(product)
    price = Price(product_id=product.id, currency=currency,
                  unit_amount=mapping.money(minor, currency))
    created = connector.create_price(price, stripe_product["id"])
    assert created["unit_amount"] == minor
    back = mapping.price_from_stripe(connector.retrieve(Kind.PRICES, created["id"]))
    assert back.unit_amount == price.unit_amount
    assert back.id == price.id


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amounts=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=4),
       currency=CURRENCIES)
def test_invoice_totals_survive_stripe(connector: StripeClient, amounts: list[int],
                                       currency: str) -> None:
    canonical = Customer(legal_name="Totals Ltd", legal_entity="US01", currency=currency)
    customer = connector.create_customer(canonical)
    v1 = connector.v1
    invoice = v1.invoices.create(params={"customer": customer["id"],
                                         "currency": currency.lower(),
                                         "collection_method": "send_invoice"})
    for amount in amounts:
        v1.invoice_items.create(params={"customer": customer["id"], "invoice": invoice.id,
                                        "amount": amount, "currency": currency.lower(),
                                        "description": "line"})
    final = v1.invoices.finalize_invoice(invoice.id).to_dict()
    mapped = mapping.invoice_from_stripe(final, customer_id=canonical.id, legal_entity="US01")
    assert [mapping.minor_units(line.amount) for line in mapped.lines] == amounts
    assert mapping.minor_units(mapped.total) == final["total"] == sum(amounts)
    assert mapped.number == final["number"]


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amounts=st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=4),
       percent=st.sampled_from(["7.25", "19", "8.875"]))
def test_invoice_lines_carry_the_tax_stripe_charged_on_them(
        connector: StripeClient, amounts: list[int], percent: str) -> None:
    """invoice.v2: each line's tax_amount is the tax Stripe shows on that line (its
    ``taxes``), its tax_code the tax rate charged, and the lines' taxes are the tax total."""
    canonical = Customer(legal_name="Taxed Ltd", legal_entity="US01", currency="USD")
    customer = connector.create_customer(canonical)
    v1 = connector.v1
    rate = v1.tax_rates.create(params={"display_name": "Sales tax", "percentage": percent,
                                       "inclusive": False, "jurisdiction": "US-CA"})
    invoice = v1.invoices.create(params={"customer": customer["id"], "currency": "usd",
                                         "collection_method": "send_invoice",
                                         "default_tax_rates": [rate.id]})
    for amount in amounts:
        v1.invoice_items.create(params={"customer": customer["id"], "invoice": invoice.id,
                                        "amount": amount, "currency": "usd",
                                        "description": "line"})
    final = v1.invoices.finalize_invoice(invoice.id).to_dict()
    mapped = mapping.invoice_from_stripe(final, customer_id=canonical.id, legal_entity="US01")
    charged = [sum(tax["amount"] for tax in line["taxes"]) for line in final["lines"]["data"]]
    assert [mapping.minor_units(line.tax_amount) for line in mapped.lines] == charged
    assert sum(charged) == mapping.minor_units(mapped.tax_total)
    assert {line.tax_code for line in mapped.lines} == {rate.id}
