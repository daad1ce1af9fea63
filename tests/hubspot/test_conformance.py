"""The shared connector conformance suite against the HubSpot sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from accord.canonical import (
    Address,
    Contact,
    ContactRole,
    ContractLine,
    Customer,
    Money,
    TaxIdKind,
    TaxProfile,
    TaxRegistration,
)
from accord.connectors.base import iterate_pages
from accord.connectors.hubspot import CONNECTOR
from accord.connectors.hubspot.client import HubSpotClient
from accord.connectors.hubspot.mapping import (
    company_to_customer,
    contract_line_to_line,
    customer_to_company,
    line_to_contract_line,
)
from accord.connectors.hubspot.settings import HubSpotSettings
from accord.errors import (
    ConflictError,
    DataQualityError,
    PermanentError,
    RateLimited,
    TransientError,
)
from accord.sandboxes.hubspot import DEFAULT_ACCESS_TOKEN
from accord.sandboxes.server import RunningSandbox
from accord.testing.conformance import (
    ConformanceHarness,
    ConnectorConformance,
    ErrorCase,
    RoundTrip,
)

CUSTOMER = Customer(
    id="cus_01JD5V1Q7X8Y9Z0A1B2C3D4E5F", legal_name="Contoso GmbH", legal_entity="DE01",
    currency="EUR", domain="contoso.example",
    billing_address=Address(line1="Hauptstrasse 1", line2="Etage 3", city="Berlin",
                            region="BE", postal_code="10115", country="DE"),
    tax_profile=TaxProfile(registrations=(TaxRegistration(country="DE", kind=TaxIdKind.VAT,
                                                          value="DE123456789"),)),
    contacts=(Contact(name="Contoso GmbH", email="ap@contoso.example",
                      role=ContactRole.BILLING),))


def client_for(sandbox: RunningSandbox, token: str = DEFAULT_ACCESS_TOKEN) -> HubSpotClient:
    return HubSpotClient(HubSpotSettings(base_url=sandbox.base_url,
                                         access_token=SecretStr(token)), retries=False)


class TestHubSpotConformance(ConnectorConformance):
    @pytest.fixture
    def harness(self, sandbox: RunningSandbox, control: httpx.Client
                ) -> Iterator[ConformanceHarness]:
        client = client_for(sandbox)
        stranger = client_for(sandbox, "pat-na1-wrong")
        by_id = {"sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
                 "properties": ["name"]}

        def seed(count: int) -> None:
            for n in range(count):
                client.create("companies", {"name": f"Seed {n}"})

        def list_ids(size: int) -> Iterator[str]:
            pages = iterate_pages(lambda after: client.search_page(
                "companies", {**by_id, "limit": size}, after), system="hubspot")
            return (str(row["id"]) for row in pages)

        def limited() -> None:
            control.post("/clock/freeze", json={}).raise_for_status()
            control.post("/clock/advance", json={"seconds": 10}).raise_for_status()
            control.put("/hubspot/limits", json={"ten_second_limit": 1}).raise_for_status()
            try:
                for _ in range(2):
                    client.search_page("companies", {**by_id, "limit": 1}, None)
            finally:
                control.post("/reset").raise_for_status()

        def outage() -> None:
            now = datetime.fromisoformat(control.get("/clock").json()["now"])
            control.put("/faults", json={"outage_until": (now + timedelta(hours=1)).isoformat()}
                        ).raise_for_status()
            try:
                client.create("companies", {"name": "During outage"})
            finally:
                control.delete("/faults").raise_for_status()

        def duplicate() -> None:
            client.create("products", {"name": "First", "accord_id": "dup-key"})
            client.create("products", {"name": "Second", "accord_id": "dup-key"})

        def count_products() -> int:
            return sum(1 for _ in client.search("products", [], ["name"]))

        def company_of(customer: Customer) -> dict[str, Any]:
            return {"id": "1001", **{k: v for k, v in customer_to_company(customer).items()
                                     if v is not None}}

        line = ContractLine(product_sku="BW-PLAT-SEAT", quantity=Decimal(5),
                            unit_price=Money.of("49.99", "USD"),
                            description="Seats")
        yield ConformanceHarness(
            definition=CONNECTOR, seed_records=seed, list_ids=list_ids,
            error_cases=[
                ErrorCase("a number property given text",
                          lambda: client.create("companies", {"numberofemployees": "many"}),
                          DataQualityError),
                ErrorCase("an unknown property",
                          lambda: client.create("deals", {"no_such_property": "x"}),
                          DataQualityError),
                ErrorCase("no such record", lambda: client.read("deals", "999999", ["dealname"]),
                          PermanentError),
                ErrorCase("a bad token", lambda: stranger.read("deals", "1", ["dealname"]),
                          PermanentError),
                ErrorCase("a unique value twice", duplicate, ConflictError),
                ErrorCase("the ten-second window spent", limited, RateLimited),
                ErrorCase("an outage", outage, TransientError),
            ],
            round_trips=[
                RoundTrip("customer <-> company", CUSTOMER, company_of,
                          lambda company: company_to_customer(company,
                                                              default_legal_entity="US01"),
                          project=lambda c: c.model_dump(exclude={"external_ids"})),
                RoundTrip("contract line <-> line item", line, contract_line_to_line,
                          lambda props: line_to_contract_line(props, "USD")),
            ],
            create_idempotent=lambda key: client.upsert("products", "accord_id", key,
                                                         {"name": "Replayed"}),
            count_created=count_products)
        client.close()
        stranger.close()
