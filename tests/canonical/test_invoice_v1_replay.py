"""A v1 invoice stored before the upgrade to invoice.v2 replays as v2 after it and posts the
same amounts.

The v1 document is ``fixtures/invoice.v1.stripe.json``, written by the v1 producer (the
billing connector's ``to_invoice`` over the Stripe sandbox, ``invoice_v1_fixture.py``). It
is read through the upcaster, posted through the ERP port to the NetSuite sandbox, and the
ERP's invoice, read back over NetSuite's REST API, holds the v1 document's amounts: total,
lines and tax.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.canonical.invoice_v1_fixture import CUSTOMER_ID, FIXTURE
from tests.netsuite import documents
from tests.roles.kit import kit_module, suite_configuration

from accord.canonical.billing import Invoice, RevenueRecognition
from accord.canonical.money import Money, money_sum
from accord.canonical.upcasting import load
from accord.connectors.base import AdapterOptions
from accord.connectors.registry import available
from accord.resilience.retry import RetryPolicy


@pytest.fixture
def erp(tmp_path: Path) -> Iterator[tuple[Any, Any]]:
    """The ERP port of the NetSuite connector on its sandbox, and the sandbox's kit."""
    with suite_configuration():
        definition = available()["netsuite"]
    kit = kit_module(definition).start(tmp_path)
    assert definition.adapter is not None
    with suite_configuration():
        adapter = definition.adapter(
            definition.name, definition.settings_model(**dict(kit.settings)),
            AdapterOptions(policy=RetryPolicy(max_attempts=3, base_delay=0),
                           sleep=lambda _seconds: None, retries=True))
    try:
        yield adapter, kit
    finally:
        adapter.close()
        kit.stop()


def stored_v1() -> dict[str, Any]:
    stored: dict[str, Any] = json.loads(FIXTURE.read_text("utf-8"))
    return stored


def amount(value: Any) -> Decimal:
    return Decimal(str(value))


def test_the_fixture_is_a_v1_document_the_current_model_does_not_read_as_is() -> None:
    stored = stored_v1()
    assert "schema_version" not in stored
    assert all("tax_amount" not in line for line in stored["lines"])
    with pytest.raises(ValueError, match=r"lines\.0\.tax_amount"):
        Invoice.model_validate(stored)


def test_a_v1_invoice_replays_as_v2_and_posts_the_same_amounts(
        erp: tuple[Any, Any]) -> None:
    adapter, kit = erp
    stored = stored_v1()
    invoice = load(Invoice, stored)
    assert invoice.schema_version == "v2"
    assert invoice.model_dump(mode="json")["schema_version"] == "v2"
    assert money_sum((line.tax_amount for line in invoice.lines), invoice.currency) == \
        Money.model_validate(stored["tax_total"])
    assert [line.revenue_recognition for line in invoice.lines] == [
        RevenueRecognition.POINT_IN_TIME if line["service_period"] is None
        else RevenueRecognition.RATABLE for line in stored["lines"]]

    # the ERP posts only into its open period: the document's dates move to the ERP's
    # today (what is compared is the amounts)
    today = kit.today()
    posting = invoice.model_copy(update={"issue_date": today, "due_date": today})
    adapter.post_customer(documents.customer("DE01", "EUR", "Northwind GmbH")
                          .model_copy(update={"id": CUSTOMER_ID}))
    erp_id = adapter.post_invoice(posting)
    assert adapter.post_invoice(posting) == erp_id  # a replay upserts the same record

    answer = kit.http.get(f"/record/v1/invoice/{erp_id}",
                          params={"expandSubResources": "true"})
    answer.raise_for_status()
    record = answer.json()
    assert record["externalId"] == stored["id"]
    assert amount(record["total"]) == amount(stored["total"]["amount"])
    assert [amount(line["amount"]) for line in record["item"]["items"]] == \
        [amount(line["amount"]["amount"]) for line in stored["lines"]]
    assert [amount(tax["taxAmount"]) for tax in record["taxDetails"]["items"]] == \
        [amount(tax["amount"]["amount"]) for tax in stored["tax_lines"]]
    assert sum(amount(tax["taxAmount"]) for tax in record["taxDetails"]["items"]) == \
        amount(stored["tax_total"]["amount"])
