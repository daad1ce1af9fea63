"""Stripe's nested form encoding, parsed back into structures."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from accord.sandboxes.stripe.errors import StripeApiError
from accord.sandboxes.stripe.forms import parse_form
from accord.sandboxes.stripe.params import Params


def test_nested_objects_lists_and_appends() -> None:
    raw = urlencode([
        ("items[0][price]", "price_a"), ("items[0][quantity]", "2"),
        ("items[1][price]", "price_b"), ("items[1][metadata][sku]", "X-1"),
        ("metadata[accord_id]", "cus_1"), ("metadata[empty]", ""),
        ("expand[]", "customer"), ("expand[]", "latest_invoice"),
        ("tiers[0][up_to]", "inf"),
    ])
    assert "%5B" in raw  # brackets travel percent-encoded
    assert parse_form(raw) == {
        "items": [{"price": "price_a", "quantity": "2"},
                  {"price": "price_b", "metadata": {"sku": "X-1"}}],
        "metadata": {"accord_id": "cus_1", "empty": ""},
        "expand": ["customer", "latest_invoice"],
        "tiers": [{"up_to": "inf"}],
    }


def test_indices_order_numerically() -> None:
    pairs = [(f"lines[{i}][amount]", str(i)) for i in (10, 2, 0, 1, 3, 4, 5, 6, 7, 8, 9)]
    parsed = parse_form(urlencode(pairs))
    assert [line["amount"] for line in parsed["lines"]] == [str(i) for i in range(11)]


def test_conflicting_shapes_are_refused() -> None:
    with pytest.raises(StripeApiError) as caught:
        parse_form("metadata=x&metadata[a]=b")
    assert caught.value.param == "metadata[a]"
    with pytest.raises(StripeApiError):
        parse_form(urlencode([("bad]name", "x")]))


def test_params_name_nested_fields_in_errors() -> None:
    params = Params(parse_form("items[0][quantity]=two"))
    with pytest.raises(StripeApiError) as caught:
        params.list("items")[0].int("quantity")
    assert caught.value.param == "items[0][quantity]"
    with pytest.raises(StripeApiError) as missing:
        params.list("items")[0].req("price")
    assert missing.value.param == "items[0][price]"
    assert missing.value.code == "parameter_missing"


def test_metadata_rules() -> None:
    params = Params(parse_form("metadata[a]=&metadata[b]=2"))
    assert params.metadata({"a": "1", "c": "3"}) == {"b": "2", "c": "3"}
    assert Params(parse_form("metadata=")).metadata({"a": "1"}) == {}
    with pytest.raises(StripeApiError):
        Params({"metadata": {"k": "v" * 501}}).metadata()
