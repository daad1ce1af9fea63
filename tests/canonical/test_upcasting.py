"""Upcasting: a stored v1 invoice (written by the v1 producer, ``fixtures/``) read as v2;
how a document's version is recognised; the allocation of a tax total over lines; the v2
line rules; events that carry their entity's version."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from tests.canonical.invoice_v1_fixture import FIXTURE

from accord.canonical import DomainEvent, EventType
from accord.canonical.billing import Invoice, RevenueRecognition
from accord.canonical.money import CurrencyMismatchError, Money, allocate, money_sum
from accord.canonical.party import Customer
from accord.canonical.upcasting import (
    SchemaVersionError,
    detect_version,
    invoice_v1_to_v2,
    load,
    upcast,
)
from accord.canonical.validation import describe


def stored_v1() -> dict[str, Any]:
    stored: dict[str, Any] = json.loads(FIXTURE.read_text("utf-8"))
    return stored


# -- the v1 -> v2 invoice upcaster -----------------------------------------------------------
def test_v1_lines_get_their_share_of_the_tax_and_their_recognition() -> None:
    stored = stored_v1()
    upcast_lines = invoice_v1_to_v2(stored)["lines"]
    tax_total = Money.model_validate(stored["tax_total"])
    amounts = [Money.model_validate(line["amount"]) for line in stored["lines"]]
    shares = [Money.model_validate(line["tax_amount"]) for line in upcast_lines]
    assert money_sum(shares, tax_total.currency) == tax_total
    subtotal = money_sum(amounts, tax_total.currency)
    for share, line_amount in zip(shares, amounts, strict=True):
        quota = Fraction(tax_total.amount) * Fraction(line_amount.amount) / \
            Fraction(subtotal.amount)
        assert abs(Fraction(share.amount) - quota) < Fraction(1, 100)  # within a cent
    assert [line["tax_code"] for line in upcast_lines] == [None] * len(upcast_lines)
    assert [line["revenue_recognition"] for line in upcast_lines] == [
        "point_in_time" if line["service_period"] is None else "ratable"
        for line in stored["lines"]]
    assert {"point_in_time", "ratable"} == {line["revenue_recognition"]
                                             for line in upcast_lines}


def test_the_upcast_document_keeps_every_v1_field() -> None:
    stored = stored_v1()
    invoice = load(Invoice, stored)
    dumped = invoice.model_dump(mode="json")
    assert dumped["schema_version"] == "v2"
    assert {key: value for key, value in dumped.items()
            if key not in ("lines", "schema_version")} == \
        {key: value for key, value in stored.items() if key != "lines"}
    for new, old in zip(dumped["lines"], stored["lines"], strict=True):
        assert {key: value for key, value in new.items() if key in old} == old
    assert load("invoice", dumped) == invoice  # a v2 document reads as itself
    assert Invoice.model_validate(dumped) == invoice


def test_the_upcaster_leaves_its_input_alone() -> None:
    stored = stored_v1()
    before = json.dumps(stored, sort_keys=True)
    upcast("invoice", stored)
    assert json.dumps(stored, sort_keys=True) == before


# -- recognising a document's version --------------------------------------------------------
def test_a_document_without_a_marker_is_v1_and_a_marker_or_the_envelope_says_otherwise(
        ) -> None:
    stored = stored_v1()
    assert detect_version(stored) == "v1"
    assert detect_version({**stored, "schema_version": "v2"}) == "v2"
    assert detect_version(stored, "v2") == "v2"
    with pytest.raises(SchemaVersionError, match="the document says v2, its envelope v1"):
        detect_version({"schema_version": "v2"}, "v1")
    with pytest.raises(SchemaVersionError, match="'2' is not a version"):
        detect_version({"schema_version": "2"})


def test_a_newer_or_unreadable_document_is_refused_naming_why() -> None:
    stored = stored_v1()
    with pytest.raises(SchemaVersionError, match="invoice v3 document is newer than the v2"):
        load(Invoice, stored, "v3")
    with pytest.raises(SchemaVersionError, match="'quote' is not a canonical entity type"):
        load("quote", stored)
    broken = {key: value for key, value in stored.items() if key != "tax_total"}
    with pytest.raises(SchemaVersionError, match="invoice v1 -> v2: missing field 'tax_total'"):
        load(Invoice, broken)


def test_the_model_refuses_a_document_of_another_version_naming_the_field() -> None:
    stored = stored_v1()
    with pytest.raises(ValidationError) as caught:
        Invoice.model_validate({**stored, "schema_version": "v1"})
    assert describe(caught.value).startswith(
        "schema_version: the document is invoice v1, not v2; read it through "
        "accord.canonical.upcasting.load")


def test_first_version_documents_carry_no_marker() -> None:
    customer = Customer(legal_name="Acme", legal_entity="US01", currency="USD")
    assert "schema_version" not in customer.model_dump(mode="json")
    assert load(Customer, customer.model_dump(mode="json")) == customer


# -- invoice.v2 line rules -------------------------------------------------------------------
def v2_document() -> dict[str, Any]:
    return load(Invoice, stored_v1()).model_dump(mode="json")


def test_line_taxes_must_sum_to_the_tax_total() -> None:
    document = v2_document()
    document["lines"][0]["tax_amount"] = {"amount": "0.00", "currency": "EUR"}
    with pytest.raises(ValidationError) as caught:
        Invoice.model_validate(document)
    assert describe(caught.value).startswith("lines.tax_amount: the lines' tax amounts sum to")


def test_line_tax_in_another_currency_is_named() -> None:
    document = v2_document()
    document["lines"][1]["tax_amount"] = {"amount": "3.80", "currency": "USD"}
    with pytest.raises(ValidationError) as caught:
        Invoice.model_validate(document)
    assert describe(caught.value).startswith("lines.1.tax_amount: currency USD differs")


def test_revenue_recognition_must_fit_the_service_period_and_is_derived_when_omitted(
        ) -> None:
    document = v2_document()
    ratable = next(i for i, line in enumerate(document["lines"]) if line["service_period"])
    document["lines"][ratable]["revenue_recognition"] = "point_in_time"
    with pytest.raises(ValidationError) as caught:
        Invoice.model_validate(document)
    assert "revenue_recognition: point_in_time does not fit a line that has a " \
        "service_period (it is ratable)" in describe(caught.value)
    for line in document["lines"]:
        del line["revenue_recognition"]
    derived = Invoice.model_validate(document)
    assert [line.revenue_recognition for line in derived.lines] == [
        RevenueRecognition.for_period(line.service_period) for line in derived.lines]


# -- allocation ------------------------------------------------------------------------------
CURRENCIES = st.sampled_from(["USD", "JPY", "KWD", "EUR"])


@given(total=st.integers(min_value=-10**9, max_value=10**9),
       weights=st.lists(st.integers(min_value=-10**7, max_value=10**7), min_size=1,
                        max_size=8),
       currency=CURRENCIES)
def test_allocation_sums_exactly_and_stays_within_a_minor_unit_of_the_quota(
        total: int, weights: list[int], currency: str) -> None:
    whole = Money.from_minor_units(total, currency)
    parts = [Money.from_minor_units(weight, currency) for weight in weights]
    shares = allocate(whole, parts)
    assert money_sum(shares, currency) == whole
    assert all(share.is_exact for share in shares)
    assert allocate(whole, parts) == shares  # deterministic
    basis = weights if sum(weights) != 0 else [abs(weight) for weight in weights]
    if sum(basis) == 0:
        basis = [1] * len(weights)
    for share, weight in zip(shares, basis, strict=True):
        quota = Fraction(total * weight, sum(basis))
        assert abs(share.to_minor_units() - quota) < 1


def test_allocation_gives_the_leftover_units_to_the_largest_remainders_first_on_ties(
        ) -> None:
    thirds = allocate(Money.of("1.00", "USD"), [Money.of("1", "USD")] * 3)
    assert [share.amount for share in thirds] == [Decimal("0.34"), Decimal("0.33"),
                                                   Decimal("0.33")]
    yen = allocate(Money.of(5, "JPY"), [Money.of(1, "JPY"), Money.of(3, "JPY")])
    assert [share.amount for share in yen] == [Decimal(1), Decimal(4)]  # 1.25 and 3.75


def test_allocation_refuses_what_it_cannot_split_exactly() -> None:
    with pytest.raises(ValueError, match="weights: at least one"):
        allocate(Money.of("1.00", "USD"), [])
    with pytest.raises(ValueError, match="more than 2 decimal places"):
        allocate(Money.of("1.005", "USD"), [Money.of("1", "USD")])
    with pytest.raises(CurrencyMismatchError, match=r"weights\.1"):
        allocate(Money.of("1.00", "USD"), [Money.of("1", "USD"), Money.of("1", "EUR")])


# -- events ----------------------------------------------------------------------------------
def test_an_event_carries_its_entitys_version_and_a_stored_v1_event_reads_as_v2() -> None:
    stored = stored_v1()
    now = DomainEvent.create(EventType.INVOICE_FINALIZED, source="/accord/tests",
                             subject=stored["id"], correlation_id="corr-1",
                             data=load(Invoice, stored).model_dump(mode="json"),
                             entity="invoice")
    assert (now.schemaversion, now.dataschema) == ("v2", "urn:accord:schema:invoice:v2")
    customer = DomainEvent.create(EventType.CUSTOMER_UPSERTED, source="/accord/tests",
                                  subject=None, correlation_id="corr-2", data={},
                                  entity="customer")
    assert (customer.schemaversion, customer.dataschema) == \
        ("v1", "urn:accord:schema:customer:v1")

    # an event as accord wrote it before invoice.v2: its envelope says v1
    before = DomainEvent.from_json(json.dumps({
        "specversion": "1.0", "id": "evt-1", "source": "/accord/flows/invoice-posting",
        "type": "dev.accord.invoice.finalized", "subject": stored["id"],
        "time": "2026-12-01T00:00:00Z", "datacontenttype": "application/json",
        "dataschema": "urn:accord:schema:invoice:v1", "correlationid": "corr-0",
        "schemaversion": "v1", "data": stored}))
    read = before.read_entity()
    assert isinstance(read, Invoice)
    assert read == load(Invoice, stored)
    assert read.total == Money.model_validate(stored["total"])


def test_an_event_whose_envelope_disagrees_is_refused() -> None:
    event = DomainEvent(source="/x", type="dev.accord.invoice.posted", correlationid="c",
                        dataschema="urn:accord:schema:invoice:v2", schemaversion="v1")
    with pytest.raises(ValueError, match="schemaversion: v1 differs from the dataschema's"):
        event.read_entity()
    with pytest.raises(ValueError, match="entity: 'quote' is not a canonical entity type"):
        DomainEvent.create(EventType.INVOICE_POSTED, source="/x", subject=None,
                           correlation_id="c", data={}, entity="quote")
