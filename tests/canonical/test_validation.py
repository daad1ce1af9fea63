"""Invalid canonical payloads are rejected with messages that name the field."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from accord.canonical import (
    Contract,
    Customer,
    Invoice,
    JournalEntry,
    Payment,
    Price,
    describe,
    parse_entity,
)
from accord.canonical.samples import sample_documents
from accord.errors import DataQualityError, Team

USD = {"currency": "USD"}


def money(amount: str, currency: str = "USD") -> dict[str, str]:
    return {"amount": amount, "currency": currency}


def problems(model: type[Any], payload: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(payload)
    return describe(caught.value)


def test_missing_legal_entity_is_named() -> None:
    text = problems(Customer, {"legal_name": "Acme", "currency": "USD"})
    assert text == "legal_entity: field required"


def test_unknown_currency_is_named() -> None:
    text = problems(Customer, {"legal_name": "Acme", "legal_entity": "US01", "currency": "ABC"})
    assert text.startswith("currency: ")
    assert "'ABC' is not a supported ISO 4217 currency code" in text


def contract_payload(**overrides: Any) -> dict[str, Any]:
    customer = Customer(legal_name="Acme", legal_entity="US01", currency="USD")
    payload = {
        "customer_id": customer.id, "legal_entity": "US01", "currency": "USD",
        "lines": [{"product_sku": "PLAT", "quantity": "2", "unit_price": money("10.00")}],
        "term_months": 12, "start_date": "2026-01-01", "end_date": "2026-12-31",
    }
    return {**payload, **overrides}


def test_negative_quantity_is_named() -> None:
    bad = contract_payload(lines=[{"product_sku": "PLAT", "quantity": "-3",
                                   "unit_price": money("10.00")}])
    assert problems(Contract, bad) == "lines.0.quantity: input should be greater than 0"


def test_line_in_another_currency_is_named() -> None:
    bad = contract_payload(lines=[{"product_sku": "PLAT", "quantity": "1",
                                   "unit_price": money("10.00", "EUR")}])
    assert problems(Contract, bad) == (
        "lines.0.unit_price: currency EUR differs from the document currency USD")


def test_unbalanced_journal_entry_is_named() -> None:
    bad = {
        "legal_entity": "US01", "period": "2026-11", "entry_date": "2026-11-03",
        "currency": "USD",
        "lines": [{"account": "1200", "side": "debit", "amount": money("100.00")},
                  {"account": "4000", "side": "credit", "amount": money("99.99")}],
    }
    text = problems(JournalEntry, bad)
    assert text == "lines: the entry does not balance: debits 100.00 USD != credits 99.99 USD"


def test_journal_entry_outside_its_period_is_named() -> None:
    bad = {
        "legal_entity": "US01", "period": "2026-10", "entry_date": "2026-11-03",
        "currency": "USD",
        "lines": [{"account": "1200", "side": "debit", "amount": money("1.00")},
                  {"account": "4000", "side": "credit", "amount": money("1.00")}],
    }
    assert problems(JournalEntry, bad).startswith("period: entry_date 2026-11-03 is outside")


def test_invoice_totals_must_add_up() -> None:
    customer = Customer(legal_name="Acme", legal_entity="US01", currency="USD")
    bad = {
        "customer_id": customer.id, "legal_entity": "US01", "currency": "USD", "status": "open",
        "number": "INV-1", "issue_date": date(2026, 1, 1),
        "lines": [{"description": "seat", "amount": money("10.00"), "tax_amount": money("0")}],
        "subtotal": money("10.00"), "tax_total": money("0.00"), "total": money("11.00"),
    }
    assert problems(Invoice, bad).startswith("total: 11.00 USD is not subtotal")


def test_payment_over_allocation_is_named() -> None:
    customer = Customer(legal_name="Acme", legal_entity="US01", currency="USD")
    invoice_id = next(d for d in sample_documents() if d.entity_type.value == "invoice").id
    bad = {
        "customer_id": customer.id, "amount": money("10.00"), "status": "succeeded",
        "received_at": "2026-01-01T00:00:00Z",
        "allocations": [{"invoice_id": invoice_id, "amount": money("12.00")}],
    }
    assert problems(Payment, bad).startswith("allocations: 12.00 USD applied exceeds")


def test_naive_timestamps_are_refused() -> None:
    customer = Customer(legal_name="Acme", legal_entity="US01", currency="USD")
    bad = {"customer_id": customer.id, "amount": money("10.00"), "status": "succeeded",
           "received_at": "2026-01-01T00:00:00"}
    assert problems(Payment, bad).startswith("received_at: input should have timezone info")


def test_tiered_price_needs_an_unbounded_last_tier() -> None:
    product_id = sample_documents()[1].id
    bad = {"product_id": product_id, "currency": "USD", "tiers_mode": "graduated",
           "recurrence": {"interval": "month"}, "metered": True,
           "tiers": [{"up_to": 100, "unit_amount": money("0.10")},
                     {"up_to": 1000, "unit_amount": money("0.05")}]}
    assert problems(Price, bad) == "tiers.1.up_to: the last tier must be unbounded"


def test_unknown_fields_are_refused() -> None:
    text = problems(Customer, {"legal_name": "A", "legal_entity": "US01", "currency": "USD",
                               "colour": "blue"})
    assert text == "colour: extra inputs are not permitted"


def test_parse_entity_raises_a_data_quality_error_for_the_owner() -> None:
    with pytest.raises(DataQualityError) as caught:
        parse_entity(Customer, {"legal_name": "Acme", "currency": "USD"},
                     owner=Team.REVENUE_OPERATIONS, system="salesforce")
    error = caught.value
    assert (error.field, error.owner, error.system) == (
        "legal_entity", Team.REVENUE_OPERATIONS, "salesforce")


def test_entities_are_immutable_and_ids_carry_their_prefix() -> None:
    customer = Customer(legal_name="Acme", legal_entity="US01", currency="usd")
    assert customer.id.startswith("cus_")
    assert customer.currency == "USD"
    with pytest.raises(ValidationError):
        customer.legal_name = "Other"  # type: ignore[misc]
    linked = customer.with_external_id("stripe", "cus_Nx1")
    assert linked.external_ids == {"stripe": "cus_Nx1"}
    assert customer.external_ids == {}
    with pytest.raises(ValidationError, match="id: a customer id must start with 'cus_'"):
        Customer(id="inv_01ARZ3NDEKTSV4RRFFQ69G5FAV", legal_name="A", legal_entity="US01",
                 currency="USD")


def test_sample_documents_round_trip_through_json() -> None:
    for document in sample_documents():
        assert type(document).model_validate_json(document.model_dump_json()) == document
