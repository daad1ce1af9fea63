"""Domain events use a CloudEvents 1.0 envelope that the official SDK reads."""

from __future__ import annotations

import pytest
from cloudevents.core.formats.json import JSONFormat
from pydantic import ValidationError

from accord.canonical import DomainEvent, EventType


def make_event() -> DomainEvent:
    return DomainEvent.create(
        EventType.INVOICE_POSTED, source="/accord/flows/invoice-posting",
        subject="inv_01ARZ3NDEKTSV4RRFFQ69G5FAV", correlation_id="corr-42",
        causation_id="evt_stripe_1", data={"number": "INV-1", "erp": "netsuite"},
        entity="invoice")


def test_envelope_is_read_by_the_cloudevents_sdk() -> None:
    event = make_event()
    parsed = JSONFormat().read(None, event.to_json().encode())
    assert parsed.get_specversion() == "1.0"
    assert parsed.get_type() == "dev.accord.invoice.posted"
    assert parsed.get_id() == event.id
    assert parsed.get_subject() == event.subject
    assert parsed.get_extension("correlationid") == "corr-42"
    assert parsed.get_extension("causationid") == "evt_stripe_1"
    assert parsed.get_extension("schemaversion") == "v2"  # invoice.v2
    assert parsed.get_data() == {"number": "INV-1", "erp": "netsuite"}


def test_round_trip_and_type_catalogue() -> None:
    event = make_event()
    again = DomainEvent.from_json(event.to_json())
    assert again == event
    assert again.event_type is EventType.INVOICE_POSTED
    assert again.dataschema == "urn:accord:schema:invoice:v2"
    for required in ("customer.upserted", "deal.closed_won", "subscription.activated",
                     "subscription.amended", "invoice.finalized", "invoice.posted",
                     "payment.received", "payment.failed", "credit_note.issued",
                     "usage.reported"):
        assert EventType(required).cloudevents_type == "dev.accord." + required


def test_correlation_id_is_required() -> None:
    with pytest.raises(ValidationError, match="correlationid"):
        DomainEvent(source="/x", type="dev.accord.invoice.posted")  # type: ignore[call-arg]
