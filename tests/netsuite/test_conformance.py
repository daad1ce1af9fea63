"""The NetSuite connector passes the shared connector conformance suite (over real HTTP)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from tests.netsuite import documents

from accord.canonical import Customer, Invoice, JournalEntry
from accord.connectors.netsuite import CONNECTOR, mapping
from accord.connectors.netsuite.client import NetSuiteClient
from accord.connectors.netsuite.posting import NetSuitePoster
from accord.connectors.netsuite.settings import NetSuiteSettings
from accord.errors import (
    ConflictError,
    DataQualityError,
    PermanentError,
    RateLimited,
    TransientError,
)
from accord.testing.conformance import (
    ConformanceHarness,
    ConnectorConformance,
    ErrorCase,
    RoundTrip,
)


def _customer_view(customer: Customer) -> tuple[Any, ...]:
    return (customer.id, customer.legal_name, customer.legal_entity, customer.currency,
            customer.status, customer.billing_address, customer.domain,
            [r.value for r in customer.tax_profile.registrations])


def _invoice_view(invoice: Invoice) -> dict[str, Any]:
    return invoice.model_dump(exclude={"external_ids", "amount_paid"})


def _journal_view(entry: JournalEntry) -> dict[str, Any]:
    return entry.model_dump(exclude={"external_ids"})


class TestNetSuiteConformance(ConnectorConformance):
    @pytest.fixture
    def harness(self, client: NetSuiteClient, poster: NetSuitePoster, ref: Any,
                settings: NetSuiteSettings, control: httpx.Client
                ) -> Iterator[ConformanceHarness]:
        today = datetime.fromisoformat(control.get("/clock").json()["now"]).date()
        anchor = documents.customer(name="Anchor Ltd")
        poster.post_customer(anchor)
        once = NetSuiteClient(settings, retry=False)
        wrong = NetSuiteClient(settings.model_copy(update={"token_id": "stolen"}))

        def seed(count: int) -> None:
            for index in range(count):
                poster.post_customer(documents.customer(name=f"Seed {index}"))

        def list_ids(page_size: int) -> list[str]:
            return list(client.iter_ids("customer", page_size=page_size))

        def closed_period() -> None:
            last_month = today.replace(day=1) - timedelta(days=1)
            poster.post_invoice(documents.invoice(anchor.id, last_month))

        def duplicate() -> None:
            body = {"companyName": "Twice", "subsidiary": {"id": "1"}, "externalId": "twice"}
            client.create("customer", body)
            client.create("customer", body)

        def over_limit() -> None:
            control.put("/faults", json={"concurrency_limit": 1, "latency_ms": 1500}
                        ).raise_for_status()
            holder = threading.Thread(target=lambda: client.get("subsidiary", "1"))
            holder.start()
            try:
                for _ in range(10_000):
                    if control.get("/netsuite/governance").json()["in_flight"] == 1:
                        break
                once.get("subsidiary", "2")
            finally:
                holder.join()
                control.delete("/faults").raise_for_status()

        def server_error() -> None:
            control.put("/faults", json={"error_rate": 1.0, "error_status": 500}
                        ).raise_for_status()
            try:
                once.get("subsidiary", "1")
            finally:
                control.delete("/faults").raise_for_status()

        def post_and_read(document: Any) -> Any:
            if isinstance(document, Customer):
                return client.get("customer", poster.post_customer(document))
            if isinstance(document, Invoice):
                return client.get("invoice", poster.post_invoice(document))
            return client.get("journalEntry", poster.post_journal(document))

        def create_idempotent(key: str) -> str:
            return client.upsert("customer", key, {"companyName": f"Replay {key}",
                                                   "subsidiary": {"id": "1"}})

        def count_created() -> int:
            rows = list(client.suiteql("SELECT COUNT(*) AS n FROM customer"))
            return int(rows[0]["n"])

        yield ConformanceHarness(
            definition=CONNECTOR,
            seed_records=seed,
            list_ids=list_ids,
            error_cases=(
                ErrorCase("bad token (401 INVALID_LOGIN)", lambda: wrong.get("subsidiary", "1"),
                          PermanentError),
                ErrorCase("invoice for an unknown customer",
                          lambda: poster.post_invoice(documents.invoice(
                              "cus_01J00000000000000000000000", today)), DataQualityError),
                ErrorCase("posting into a closed period", closed_period, DataQualityError),
                ErrorCase("duplicate external id", duplicate, ConflictError),
                ErrorCase("beyond the concurrency limit (429)", over_limit, RateLimited),
                ErrorCase("server error (5xx)", server_error, TransientError),
                ErrorCase("no such record (404)", lambda: once.get("customer", "999999"),
                          PermanentError),
            ),
            round_trips=(
                RoundTrip("customer", documents.customer("DE01", "EUR"), post_and_read,
                          lambda record: mapping.customer_from_netsuite(record, ref),
                          _customer_view),
                RoundTrip("invoice", documents.invoice(anchor.id, today), post_and_read,
                          lambda record: mapping.invoice_from_netsuite(
                              record, ref, customer_id=anchor.id), _invoice_view),
                RoundTrip("journal entry", documents.journal(today), post_and_read,
                          lambda record: mapping.journal_from_netsuite(record, ref),
                          _journal_view),
            ),
            create_idempotent=create_idempotent,
            count_created=count_created,
        )
        once.close()
        wrong.close()
