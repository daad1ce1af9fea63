"""Tax amounts from an external tax engine on a draft invoice's lines, through the official
``stripe`` client: the line charges them as given, the invoice's totals follow, the rates
they name are found or created inactive, and what Stripe refuses is refused by name."""

from __future__ import annotations

import pytest

import stripe

STATE = {"display_name": "Texas State Sales Tax", "inclusive": False, "percentage": 6.25,
         "country": "US", "state": "TX", "jurisdiction": "TEXAS",
         "jurisdiction_level": "state", "tax_type": "sales_tax"}
CITY = {"display_name": "Austin City Tax", "inclusive": False, "percentage": 1.0,
        "country": "US", "state": "TX", "jurisdiction": "AUSTIN", "jurisdiction_level": "city",
        "tax_type": "sales_tax"}


def _draft(client: stripe.StripeClient, *amounts: int) -> stripe.Invoice:
    v1 = client.v1
    customer = v1.customers.create(params={"name": "Taxed Inc.", "email": "ap@taxed.example"})
    for amount in amounts:
        v1.invoice_items.create(params={"customer": customer.id, "amount": amount,
                                        "currency": "usd", "description": f"item {amount}"})
    return v1.invoices.create(params={"customer": customer.id,
                                      "pending_invoice_items_behavior": "include"})


def test_tax_amounts_on_a_draft_line_are_charged_as_given(
        client: stripe.StripeClient) -> None:
    draft = _draft(client, 100_000, 25_000)
    first, second = client.v1.invoices.line_items.list(draft.id).data
    line = client.v1.invoices.line_items.update(draft.id, first.id, params={"tax_amounts": [
        {"amount": 6_250, "taxable_amount": 100_000, "tax_rate_data": STATE},
        {"amount": 1_000, "taxable_amount": 100_000, "tax_rate_data": CITY}]})
    assert [tax.amount for tax in line.taxes] == [6_250, 1_000]
    assert [tax.taxable_amount for tax in line.taxes] == [100_000, 100_000]
    client.v1.invoices.line_items.update(draft.id, second.id, params={"tax_amounts": [
        {"amount": 0, "taxable_amount": 25_000, "taxability_reason": "product_exempt",
         "tax_rate_data": STATE}]})

    invoice = client.v1.invoices.retrieve(draft.id)
    assert (invoice.subtotal, invoice.total) == (125_000, 125_000 + 7_250)
    assert invoice.amount_due == 132_250
    by_rate = {tax.tax_rate_details.tax_rate: (tax.amount, tax.taxable_amount)
               for tax in invoice.total_taxes}
    state_rate, city_rate = (tax.tax_rate_details.tax_rate for tax in line.taxes)
    assert by_rate == {state_rate: (6_250, 125_000), city_rate: (1_000, 100_000)}
    exempt = client.v1.invoices.line_items.list(draft.id).data[1].taxes[0]
    assert exempt.taxability_reason == "product_exempt"
    assert exempt.tax_rate_details.tax_rate == state_rate  # the same data: the same rate

    rate = client.v1.tax_rates.retrieve(state_rate)
    assert rate.active is False
    assert (rate.display_name, rate.percentage, rate.state, rate.jurisdiction_level,
            rate.tax_type) == ("Texas State Sales Tax", 6.25, "TX", "state", "sales_tax")

    finalized = client.v1.invoices.finalize_invoice(draft.id)
    assert finalized.total == 132_250  # the amounts as set, not re-computed


def test_clearing_tax_amounts_and_what_is_refused(client: stripe.StripeClient) -> None:
    draft = _draft(client, 10_000)
    (line,) = client.v1.invoices.line_items.list(draft.id).data
    client.v1.invoices.line_items.update(draft.id, line.id, params={"tax_amounts": [
        {"amount": 1_900, "taxable_amount": 10_000, "tax_rate_data": {
            "display_name": "VAT", "inclusive": False, "percentage": 19, "country": "DE",
            "tax_type": "vat", "jurisdiction_level": "country"}}]})
    assert client.v1.invoices.retrieve(draft.id).total == 11_900
    cleared = client.v1.invoices.line_items.update(draft.id, line.id,
                                                   params={"tax_amounts": ""})
    assert cleared.taxes == []
    assert client.v1.invoices.retrieve(draft.id).total == 10_000

    refusals = {
        "tax_amounts[0][tax_rate_data][percentage]": {"amount": 1, "taxable_amount": 1,
            "tax_rate_data": {**STATE, "percentage": 101}},
        "tax_amounts[0][tax_rate_data][inclusive]": {"amount": 1, "taxable_amount": 1,
            "tax_rate_data": {**STATE, "inclusive": True}},
        "tax_amounts[0][tax_rate_data]": {"amount": 1, "taxable_amount": 1},
        "tax_amounts[0][amount]": {"amount": -5, "taxable_amount": 1, "tax_rate_data": STATE},
        "tax_amounts[0][tax_rate_data][jurisdiction_level]": {"amount": 1, "taxable_amount": 1,
            "tax_rate_data": {**STATE, "jurisdiction_level": "planet"}},
    }
    for param, entry in refusals.items():
        with pytest.raises(stripe.InvalidRequestError) as refused:
            client.v1.invoices.line_items.update(draft.id, line.id,
                                                 params={"tax_amounts": [entry]})
        assert refused.value.param == param, refused.value.user_message

    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.invoices.line_items.update(draft.id, "il_nope", params={"description": "x"})
    assert missing.value.code == "resource_missing"
    client.v1.invoices.finalize_invoice(draft.id)
    with pytest.raises(stripe.InvalidRequestError) as finalized:
        client.v1.invoices.line_items.update(draft.id, line.id, params={"tax_amounts": ""})
    assert finalized.value.code == "invoice_not_editable"


def test_a_line_with_its_own_tax_rates_takes_no_tax_amounts(
        client: stripe.StripeClient) -> None:
    v1 = client.v1
    rate = v1.tax_rates.create(params={"display_name": "Sales tax", "percentage": 5,
                                       "inclusive": False})
    customer = v1.customers.create(params={"name": "Rated Inc."})
    v1.invoice_items.create(params={"customer": customer.id, "amount": 1_000,
                                    "currency": "usd", "tax_rates": [rate.id]})
    draft = v1.invoices.create(params={"customer": customer.id,
                                       "pending_invoice_items_behavior": "include"})
    (line,) = v1.invoices.line_items.list(draft.id).data
    with pytest.raises(stripe.InvalidRequestError) as refused:
        v1.invoices.line_items.update(draft.id, line.id, params={"tax_amounts": [
            {"amount": 50, "taxable_amount": 1_000, "tax_rate_data": STATE}]})
    assert refused.value.param == "tax_amounts"
