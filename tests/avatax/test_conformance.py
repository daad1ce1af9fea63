"""The shared connector conformance suite against the AvaTax sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest

from accord.canonical import Address, Money
from accord.canonical.tax import TaxRequest, TaxRequestLine
from accord.connectors.avatax import CONNECTOR
from accord.connectors.avatax.client import AvaTaxClient
from accord.connectors.avatax.mapping import result, transaction_model
from accord.connectors.avatax.settings import AvaTaxSettings
from accord.connectors.avatax.tax import AvaTaxTax
from accord.connectors.base import iterate_pages
from accord.errors import ConflictError, DataQualityError, PermanentError, TransientError
from accord.sandboxes.server import RunningSandbox
from accord.testing.conformance import (
    ConformanceHarness,
    ConnectorConformance,
    ErrorCase,
    RoundTrip,
)

AUSTIN = Address(line1="100 Congress Ave", city="Austin", region="TX", postal_code="78701",
                 country="US")
NEW_YORK = Address(line1="350 5th Ave", city="New York", region="NY", postal_code="10001",
                   country="US")
NOWHERE = Address(line1="1 Nowhere Rd", city="Nowhere", postal_code="99999", country="US")


def request(document_id: str, ship_to: Address = NEW_YORK) -> TaxRequest:
    return TaxRequest(
        document_id=document_id, customer_id="cus_conformance", currency="USD",
        date=date(2026, 12, 1), ship_from=AUSTIN, ship_to=ship_to,
        lines=(TaxRequestLine(number="1", sku="BW-PLAT-SEAT", tax_code="SW054000",
                              amount=Money.of("120.00", "USD")),
               TaxRequestLine(number="2", sku="BW-ONBOARD", tax_code="SC070000",
                              amount=Money.of("80.50", "USD"))))


def lines_of(document: Any) -> tuple[tuple[str, Money, str | None], ...]:
    """What a request says and a result keeps of each line."""
    return tuple((line.number, line.amount, line.tax_code) for line in document.lines)


class TestAvaTaxConformance(ConnectorConformance):
    @pytest.fixture
    def harness(self, sandbox: RunningSandbox, control: httpx.Client
                ) -> ConformanceHarness:
        credentials = sandbox.credentials()
        client = AvaTaxClient(AvaTaxSettings(**credentials), retries=False)
        stranger = AvaTaxClient(AvaTaxSettings(**{**credentials, "license_key": "wrong"}),
                                retries=False)
        tax = AvaTaxTax(client)

        def seed(count: int) -> None:
            for n in range(count):
                client.create_transaction(transaction_model(
                    request(f"inv_seed_{n}"), kind="SalesInvoice", commit=False,
                    company_code=client.company_code))

        def list_ids(size: int) -> Iterator[str]:
            pages = iterate_pages(lambda cursor: client.transactions_page(size, cursor),
                                  system="avatax")
            return (str(row["code"]) for row in pages)

        def conflict() -> None:
            model = transaction_model(request("inv_dup"), kind="SalesInvoice", commit=True,
                                      company_code=client.company_code)
            client.create_transaction(model)
            client.create_transaction(model)

        def outage() -> None:
            now = datetime.fromisoformat(control.get("/clock").json()["now"])
            control.put("/faults", json={"outage_until": (now + timedelta(hours=1)).isoformat()}
                        ).raise_for_status()
            try:
                tax.quote(request("inv_outage"))
            finally:
                control.delete("/faults").raise_for_status()

        return ConformanceHarness(
            definition=CONNECTOR, seed_records=seed, list_ids=list_ids,
            error_cases=[
                ErrorCase("a bad license key", lambda: AvaTaxTax(stranger).quote(
                    request("inv_auth")), PermanentError),
                ErrorCase("an address AvaTax cannot place",
                          lambda: tax.quote(request("inv_bad", ship_to=NOWHERE)),
                          DataQualityError),
                ErrorCase("a committed code created twice", conflict, ConflictError),
                ErrorCase("no such document", lambda: client.commit("inv_never"),
                          PermanentError),
                ErrorCase("an outage", outage, TransientError),
            ],
            round_trips=[
                RoundTrip("request lines <-> transaction lines", request("inv_round"),
                          lambda value: client.create_transaction(transaction_model(
                              value, kind="SalesOrder", commit=False,
                              company_code=client.company_code)),
                          result, project=lines_of),
            ],
            create_idempotent=lambda key: tax.record(request(key), commit=True).system_ref,
            count_created=lambda: sum(1 for _ in list_ids(50)))
