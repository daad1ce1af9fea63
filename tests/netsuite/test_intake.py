"""SuiteQL change polling on lastmodifieddate with a durable cursor."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest
from tests.netsuite import documents

from accord.connectors.base import ChangePoller
from accord.connectors.netsuite.client import NetSuiteClient
from accord.connectors.netsuite.intake import SuiteQLChangePoller, parse_cursor
from accord.connectors.netsuite.posting import NetSuitePoster
from accord.errors import PermanentError


def _drain(poller: ChangePoller, cursor: str | None, limit: int) -> tuple[list[str], str | None]:
    seen: list[str] = []
    for _ in range(100):
        batch = poller.poll(cursor, limit)
        if not batch.events:
            return seen, batch.cursor
        seen += [str(event.payload["id"]) for event in batch.events]
        cursor = batch.cursor
    raise AssertionError("the poller never ran dry")


def test_customers_are_polled_in_order_across_batches(client: NetSuiteClient,
                                                      poster: NetSuitePoster,
                                                      control: httpx.Client) -> None:
    ids = [poster.post_customer(documents.customer(name=f"C{i}")) for i in range(7)]
    poller = SuiteQLChangePoller(client, "customer", columns=("companyname",))
    first = poller.poll(None, 3)
    assert [event.payload["id"] for event in first.events] == ids[:3]
    assert first.events[0].event_type == "netsuite.customer.changed"
    assert first.events[0].payload["companyname"] == "C0"
    assert first.events[0].occurred_at.tzinfo is not None
    rest, cursor = _drain(poller, first.cursor, 3)
    assert rest == ids[3:]
    assert poller.poll(cursor, 3).cursor == cursor  # nothing new: the cursor stays

    control.post("/clock/advance", json={"seconds": 2}).raise_for_status()
    client.update("customer", ids[1], {"email": "changed@example.com"})
    changed, cursor = _drain(poller, cursor, 3)
    assert changed == [ids[1]]
    # a restarted poller resumes from the stored cursor
    again = SuiteQLChangePoller(client, "customer")
    assert again.poll(cursor, 10).events == ()


def test_transactions_can_be_narrowed_by_type(client: NetSuiteClient, poster: NetSuitePoster,
                                              control: httpx.Client) -> None:
    day = datetime.fromisoformat(control.get("/clock").json()["now"]).date()
    customer = documents.customer()
    poster.post_customer(customer)
    invoice = documents.invoice(customer.id, day)
    invoice_id = poster.post_invoice(invoice)
    poster.post_journal(documents.journal(day))
    poller = SuiteQLChangePoller(client, "transaction", condition="type = 'CustInvc'",
                                 columns=("type", "foreigntotal"),
                                 event_type="netsuite.invoice.changed")
    batch = poller.poll(None, 100)
    assert [(e.payload["id"], e.payload["type"], e.payload["foreigntotal"])
            for e in batch.events] == [(invoice_id, "CustInvc", "1085.00")]
    control.post("/clock/advance", json={"seconds": 2}).raise_for_status()
    poster.post_payment(documents.payment(customer.id, invoice, day, "1085.00"))
    # applying a payment changes the invoice's status, so the invoice is a change again
    paid = poller.poll(batch.cursor, 100)
    assert [e.payload["id"] for e in paid.events] == [invoice_id]
    assert paid.events[0].event_id != batch.events[0].event_id


def test_a_corrupt_cursor_is_refused() -> None:
    with pytest.raises(PermanentError):
        parse_cursor("yesterday|5")
    assert parse_cursor(None) == ("1970-01-01 00:00:00", 0)
