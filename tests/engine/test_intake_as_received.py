"""A signed event too malformed to describe is stored as it came, and its flow turns it into
an exception: intake never answers 5xx for the data of an event (the bad-data drill sent a
Stripe invoice event whose customer id held a NUL byte, which PostgreSQL refuses in a query,
and one whose object had no id, on which the posting flow stopped on a KeyError)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from accord.connectors.base import InboundEvent
from accord.engine.dispatch import describe_event, store
from accord.engine.flow import FlowInput
from accord.errors import DataQualityError, Team
from accord.flows.keys import Key, required_key
from accord.store import Database, upgrade


def invoice_event(event_id: str, invoice: dict[str, object]) -> InboundEvent:
    return InboundEvent(system="stripe", event_id=event_id, event_type="invoice.finalized",
                        occurred_at=datetime.now(UTC), payload={
                            "id": event_id, "object": "event", "type": "invoice.finalized",
                            "data": {"object": {"object": "invoice", **invoice}}})


@pytest.mark.postgres
def test_an_event_naming_an_unstorable_id_is_stored_and_described(postgres_url: str) -> None:
    database = Database(postgres_url)
    try:
        upgrade(database.engine)
        event = invoice_event("evt_nul", {"id": "in_1", "customer": "cus_\x00x",
                                          "metadata": {"note": "\x00"}})
        inbox_id, duplicate = store(database, event)
        assert inbox_id > 0
        assert not duplicate
        described = describe_event(database, event)  # what the pump does before the flow
        assert described.customer is None
        assert described.keys[Key.BILLING_INVOICE_ID.value] == "in_1"
    finally:
        database.dispose()


def test_an_event_without_its_record_id_is_a_data_quality_exception() -> None:
    run = FlowInput(correlation_id="stripe:evt_noid", keys={"event_id": "evt_noid"},
                    system="stripe")
    with pytest.raises(DataQualityError) as raised:
        required_key(run, Key.BILLING_INVOICE_ID)
    assert raised.value.field == Key.BILLING_INVOICE_ID.value
    assert raised.value.owner is Team.INTEGRATION_ENGINEERING
    assert raised.value.system == "stripe"
    found = FlowInput(correlation_id="c", keys={Key.BILLING_INVOICE_ID.value: "in_1"})
    assert required_key(found, Key.BILLING_INVOICE_ID) == "in_1"
