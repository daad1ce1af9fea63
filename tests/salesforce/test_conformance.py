"""The shared connector conformance suite against the Salesforce sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests
from pydantic import SecretStr

from accord.canonical import (
    Address,
    Contact,
    ContactRole,
    Contract,
    ContractLine,
    Customer,
    IntervalUnit,
    Money,
    Price,
    Product,
    ProductKind,
    Recurrence,
    TaxIdKind,
    TaxProfile,
    TaxRegistration,
)
from accord.connectors.base import iterate_pages
from accord.connectors.salesforce import CONNECTOR
from accord.connectors.salesforce.client import SalesforceClient
from accord.connectors.salesforce.intake import closed_won_contract
from accord.connectors.salesforce.mapping import (
    account_to_customer,
    contract_to_opportunity,
    customer_to_account,
    entry_to_price,
    price_to_entry,
    product2_to_product,
    product_to_product2,
)
from accord.errors import (
    ConflictError,
    DataQualityError,
    PermanentError,
    RateLimited,
    TransientError,
)
from accord.sandboxes.server import RunningSandbox
from accord.testing.conformance import (
    ConformanceHarness,
    ConnectorConformance,
    ErrorCase,
    RoundTrip,
)

from .conftest import control_url
from .helpers import client_for


def _without_ids(entity: Any) -> dict[str, Any]:
    return entity.model_dump(exclude={"external_ids"})


class TestSalesforceConformance(ConnectorConformance):
    @pytest.fixture
    def harness(self, sandbox: RunningSandbox, control: requests.Session
                ) -> Iterator[ConformanceHarness]:
        client = client_for(sandbox)
        once = client_for(sandbox, retries=False)
        stranger = client_for(sandbox, settings={"session_id": SecretStr("00Dwrong")},
                              retries=False)
        book = next(client.query("SELECT Id FROM Pricebook2 WHERE IsStandard = true"))["Id"]

        def seed(count: int) -> None:
            results = client.create_many("Account", [{"Name": f"Seed {n}"}
                                                     for n in range(count)])
            assert all(result.success for result in results)

        def list_ids(size: int) -> Iterator[str]:
            pages = iterate_pages(lambda after: client.keyset_page("Account", ["Id"], after,
                                                                   size), system="salesforce")
            return (str(row["Id"]) for row in pages)

        def used_up() -> None:
            control.put(control_url(sandbox, "/salesforce/limits"),
                        json={"daily_api_requests": 1, "used": 1}).raise_for_status()
            try:
                once.limits()
            finally:
                control.put(control_url(sandbox, "/salesforce/limits"),
                            json={"daily_api_requests": 100_000, "used": 0}
                            ).raise_for_status()

        def outage() -> None:
            now = datetime.fromisoformat(control.get(control_url(sandbox, "/clock")).json()["now"])
            control.put(control_url(sandbox, "/faults"), json={
                "outage_until": (now + timedelta(hours=1)).isoformat()}).raise_for_status()
            try:
                once.create("Account", {"Name": "During outage"})
            finally:
                control.delete(control_url(sandbox, "/faults")).raise_for_status()

        def duplicate() -> None:
            once.create("Account", {"Name": "First", "Accord_Id__c": "dup-key"})
            once.create("Account", {"Name": "Second", "Accord_Id__c": "dup-key"})

        def ambiguous() -> None:
            once.create("Account", {"Name": "One", "Stripe_Customer_Id__c": "cus_twice"})
            once.create("Account", {"Name": "Two", "Stripe_Customer_Id__c": "cus_twice"})
            once.upsert("Account", "Stripe_Customer_Id__c", "cus_twice", {"Name": "Which?"})

        errors = [
            ErrorCase("required field missing",
                      lambda: once.create("Opportunity", {"Name": "No stage"}), DataQualityError),
            ErrorCase("restricted picklist",
                      lambda: once.create("Account", {"Name": "X", "CurrencyIsoCode": "XXX"}),
                      DataQualityError),
            ErrorCase("duplicate unique value", duplicate, ConflictError),
            ErrorCase("several upsert matches (300)", ambiguous, ConflictError),
            ErrorCase("invalid session", stranger.limits, PermanentError),
            ErrorCase("daily allocation used up", used_up, RateLimited),
            ErrorCase("outage (503)", outage, TransientError),
            ErrorCase("malformed query", lambda: list(once.query("SELECT FROM")), PermanentError),
        ]

        customer = Customer(
            legal_name="Northwind Analytics GmbH", legal_entity="DE01", currency="EUR",
            billing_address=Address(line1="Friedrichstr. 1", city="Berlin",
                                    postal_code="10117", country="DE"),
            tax_profile=TaxProfile(registrations=(TaxRegistration(
                country="DE", kind=TaxIdKind.VAT, value="DE123456789"),)),
            contacts=(Contact(name="Northwind Analytics GmbH", email="ap@northwind.example",
                              role=ContactRole.BILLING),),
            domain="northwind.example")
        product = Product(sku="PLAT-ANNUAL", name="Platform, annual seat",
                          kind=ProductKind.RECURRING, revenue_category="subscription")
        price = Price(product_id=product.id, currency="USD",
                      unit_amount=Money.of(Decimal("1200.05"), "USD"),
                      recurrence=Recurrence(interval=IntervalUnit.YEAR))

        def account_roundtrip(value: Customer) -> dict[str, Any]:
            outcome = client.upsert("Account", "Accord_Id__c", value.id,
                                    customer_to_account(value))
            return client.get("Account", outcome.id)

        def product_roundtrip(value: Product) -> dict[str, Any]:
            outcome = client.upsert("Product2", "Accord_Id__c", value.id,
                                    product_to_product2(value))
            return client.get("Product2", outcome.id)

        def price_roundtrip(value: Price) -> dict[str, Any]:
            product2 = client.upsert("Product2", "Accord_Id__c", product.id,
                                     product_to_product2(product))
            fields = price_to_entry(value, product2_id=product2.id, pricebook2_id=book)
            outcome = client.upsert("PricebookEntry", "Accord_Id__c", value.id, fields)
            return client.get("PricebookEntry", outcome.id)

        contract = Contract(
            customer_id=customer.id, legal_entity="DE01", currency="EUR",
            lines=(ContractLine(product_sku="PLAT-ANNUAL", description="Seats",
                                quantity=Decimal(25), unit_price=Money.of("1200.00", "EUR"),
                                discount_percent=Decimal("12.5")),
                   ContractLine(product_sku="ONBOARD", quantity=Decimal(1),
                                unit_price=Money.of("4999.99", "EUR"))),
            term_months=24, start_date=date(2026, 12, 1), end_date=date(2028, 11, 30),
            po_number="PO-7781")

        def deal_roundtrip(value: Contract) -> str:
            account = client.upsert("Account", "Accord_Id__c", value.customer_id,
                                    {"Name": "Deal customer", "CurrencyIsoCode": "EUR"})
            opportunity, lines = contract_to_opportunity(value, account_id=account.id)
            deal = client.create("Opportunity", opportunity)
            for line in lines:
                code = line.pop("ProductCode")
                product2 = client.create("Product2", {"Name": code, "ProductCode": code,
                                                      "IsActive": True})
                entry = client.create("PricebookEntry", {
                    "Pricebook2Id": book, "Product2Id": product2, "CurrencyIsoCode": "EUR",
                    "UnitPrice": line["UnitPrice"], "IsActive": True})
                client.create("OpportunityLineItem", {**line, "OpportunityId": deal,
                                                      "PricebookEntryId": entry})
            return deal

        round_trips = [
            RoundTrip("Opportunity + lines <-> Contract", contract, deal_roundtrip,
                      lambda deal: closed_won_contract(client, deal),
                      lambda value: value.model_dump(exclude={"external_ids", "deal_id"})),
            RoundTrip("Account <-> Customer", customer, account_roundtrip,
                      lambda record: account_to_customer(record, default_legal_entity="US01"),
                      _without_ids),
            RoundTrip("Product2 <-> Product", product, product_roundtrip, product2_to_product,
                      _without_ids),
            RoundTrip("PricebookEntry <-> Price", price, price_roundtrip,
                      lambda record: entry_to_price(record, product_id=product.id),
                      _without_ids),
        ]

        def create_idempotent(key: str) -> str:
            return client.upsert("Account", "Accord_Id__c", key, {"Name": f"Replay {key}"}).id

        def count_created() -> int:
            return len(list(client.query("SELECT Id FROM Account")))

        yield ConformanceHarness(
            definition=CONNECTOR, seed_records=seed, list_ids=list_ids, error_cases=errors,
            round_trips=round_trips, create_idempotent=create_idempotent,
            count_created=count_created)
        for each in (client, once, stranger):
            each.session.close()


def test_float_amounts_never_reach_the_mapping() -> None:
    with pytest.raises(TypeError, match="parse_float=Decimal"):
        entry_to_price({"CurrencyIsoCode": "USD", "UnitPrice": 10.5},
                       product_id=Product(sku="S", name="n", kind=ProductKind.USAGE,
                                          revenue_category="usage").id)


def test_client_repr_hides_the_session(sandbox: RunningSandbox) -> None:
    client: SalesforceClient = client_for(sandbox)
    secret = sandbox.credentials()["session_id"]
    assert secret not in repr(client)
    assert secret not in repr(client.settings)
    client.session.close()
