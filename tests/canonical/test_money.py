"""Money is exact: minor units round-trip for every supported currency; currencies never mix."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from accord.canonical import CURRENCY_EXPONENTS, CurrencyMismatchError, InexactAmountError, Money
from accord.canonical.currencies import exponent

currencies = st.sampled_from(sorted(CURRENCY_EXPONENTS))
minor_units = st.integers(min_value=-(10**15), max_value=10**15)


@given(minor=minor_units, currency=currencies)
def test_minor_units_round_trip_exactly(minor: int, currency: str) -> None:
    money = Money.from_minor_units(minor, currency)
    assert money.to_minor_units() == minor
    assert money.amount.as_tuple().exponent == -exponent(currency)


@given(minor=minor_units, currency=currencies)
def test_json_round_trip_is_exact(minor: int, currency: str) -> None:
    money = Money.from_minor_units(minor, currency)
    assert Money.model_validate_json(money.model_dump_json()) == money


@given(a=minor_units, b=minor_units, currency=currencies)
def test_addition_is_exact_in_minor_units(a: int, b: int, currency: str) -> None:
    total = Money.from_minor_units(a, currency) + Money.from_minor_units(b, currency)
    assert total.to_minor_units() == a + b


@given(a=minor_units, b=minor_units, pair=st.lists(currencies, min_size=2, max_size=2,
                                                    unique=True))
def test_mixed_currency_arithmetic_is_refused(a: int, b: int, pair: list[str]) -> None:
    left = Money.from_minor_units(a, pair[0])
    right = Money.from_minor_units(b, pair[1])
    with pytest.raises(CurrencyMismatchError):
        _ = left + right
    with pytest.raises(CurrencyMismatchError):
        _ = left - right
    with pytest.raises(CurrencyMismatchError):
        _ = left < right


@pytest.mark.parametrize(("currency", "digits"), [("JPY", 0), ("USD", 2), ("EUR", 2),
                                                  ("KWD", 3), ("BHD", 3), ("CLF", 4)])
def test_exponents_follow_iso_4217(currency: str, digits: int) -> None:
    assert exponent(currency) == digits
    assert Money.from_minor_units(1, currency).amount == Decimal(1).scaleb(-digits)


def test_excess_precision_is_not_silently_rounded() -> None:
    with pytest.raises(InexactAmountError, match="more than 2 decimal places"):
        Money.of("10.005", "USD").to_minor_units()
    assert Money.of("10.005", "USD").to_minor_units(rounding="ROUND_HALF_UP") == 1001
    with pytest.raises(InexactAmountError):
        Money.of("1.5", "JPY").to_minor_units()


def test_floats_are_refused_with_a_reason() -> None:
    with pytest.raises(ValidationError, match="not a float"):
        Money.model_validate({"amount": 0.1, "currency": "USD"})


def test_unknown_currency_names_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        Money.of("1.00", "XYZ")
    assert caught.value.errors()[0]["loc"] == ("currency",)
    assert "not a supported ISO 4217" in str(caught.value)


def test_multiplication_by_float_is_refused() -> None:
    with pytest.raises(TypeError):
        _ = Money.of("1.00", "USD") * 1.5  # type: ignore[operator]
    assert Money.of("1.10", "USD") * 3 == Money.of("3.30", "USD")
