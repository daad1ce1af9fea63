"""Exact money: ``Decimal`` amounts tagged with an ISO 4217 currency.

* Floats are refused at the edge: they cannot hold most decimal fractions exactly.
* Arithmetic between different currencies raises :class:`CurrencyMismatchError`.
* Conversion to and from integer minor units follows the currency's exponent, and is exact:
  :meth:`Money.to_minor_units` refuses an amount with more precision than the currency has
  unless a rounding mode is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from accord.canonical.currencies import UnknownCurrencyError, exponent, is_supported


class CurrencyMismatchError(ValueError):
    """Arithmetic or comparison across two currencies."""

    def __init__(self, left: str, right: str, operation: str) -> None:
        super().__init__(f"cannot {operation} {left} and {right}: currencies differ")
        self.left = left
        self.right = right


class InexactAmountError(ValueError):
    """An amount has more decimal places than its currency's minor unit allows."""


def _check_currency(code: str) -> str:
    if not is_supported(code):
        raise UnknownCurrencyError(code)
    return code


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


CurrencyCode = Annotated[
    str,
    BeforeValidator(_upper),
    Field(min_length=3, max_length=3, description="ISO 4217 alphabetic code"),
    AfterValidator(_check_currency),
]


def _no_float(value: Any) -> Any:
    if isinstance(value, float):
        raise ValueError(
            "must be a decimal string or an integer, not a float (floats cannot hold money exactly)"
        )
    if isinstance(value, str):
        try:
            parsed = Decimal(value)
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a decimal number") from None
        return parsed
    return value


def _finite(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("must be a finite number")
    return value


Amount = Annotated[Decimal, BeforeValidator(_no_float), AfterValidator(_finite)]


class Money(BaseModel):
    """An exact amount in one currency. Immutable."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    amount: Amount
    currency: CurrencyCode

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str) -> Money:
        return cls.model_validate({"amount": amount, "currency": currency})

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls.of(0, currency)

    @classmethod
    def from_minor_units(cls, minor: int, currency: str) -> Money:
        """``from_minor_units(1050, "USD")`` is 10.50 USD; ``(1050, "JPY")`` is 1050 JPY."""
        if isinstance(minor, bool) or not isinstance(minor, int):
            raise TypeError("minor units must be an integer")
        exp = exponent(_upper(currency))
        return cls.of(Decimal(minor).scaleb(-exp).quantize(Decimal(1).scaleb(-exp)), currency)

    # -- conversion -----------------------------------------------------------------------
    @property
    def exponent(self) -> int:
        return exponent(self.currency)

    def to_minor_units(self, rounding: str | None = None) -> int:
        """Integer minor units. Exact unless ``rounding`` (a ``decimal`` mode) is given."""
        scaled = self.amount.scaleb(self.exponent)
        integral = scaled.to_integral_value(rounding=rounding or ROUND_HALF_EVEN)
        if rounding is None and integral != scaled:
            raise InexactAmountError(
                f"{self.amount} {self.currency} has more than {self.exponent} decimal places"
            )
        return int(integral)

    def quantized(self, rounding: str = ROUND_HALF_EVEN) -> Money:
        """The amount rounded to the currency's minor unit."""
        return Money.of(
            self.amount.quantize(Decimal(1).scaleb(-self.exponent), rounding=rounding),
            self.currency,
        )

    @property
    def is_exact(self) -> bool:
        """True when the amount is a whole number of minor units."""
        return self.amount.scaleb(self.exponent) == self.amount.scaleb(self.exponent).to_integral()

    # -- arithmetic -----------------------------------------------------------------------
    def _same(self, other: object, operation: str) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot {operation} Money and {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatchError(self.currency, other.currency, operation)
        return other

    def __add__(self, other: object) -> Money:
        return Money.of(self.amount + self._same(other, "add").amount, self.currency)

    def __sub__(self, other: object) -> Money:
        return Money.of(self.amount - self._same(other, "subtract").amount, self.currency)

    def __neg__(self) -> Money:
        return Money.of(-self.amount, self.currency)

    def __abs__(self) -> Money:
        return Money.of(abs(self.amount), self.currency)

    def __mul__(self, factor: object) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, int | Decimal):
            raise TypeError("Money can only be multiplied by an int or a Decimal")
        return Money.of(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: object) -> bool:
        return self.amount < self._same(other, "compare").amount

    def __le__(self, other: object) -> bool:
        return self.amount <= self._same(other, "compare").amount

    def __gt__(self, other: object) -> bool:
        return self.amount > self._same(other, "compare").amount

    def __ge__(self, other: object) -> bool:
        return self.amount >= self._same(other, "compare").amount

    def __eq__(self, other: object) -> bool:
        """Equal when currency and numeric value agree (``10.5 USD == 10.50 USD``)."""
        if not isinstance(other, Money):
            return NotImplemented
        return self.currency == other.currency and self.amount == other.amount

    def __hash__(self) -> int:
        return hash((self.currency, self.amount.normalize()))

    def is_zero(self) -> bool:
        return self.amount == 0

    def is_negative(self) -> bool:
        return self.amount < 0

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def money_sum(items: Any, currency: str) -> Money:
    """Sum an iterable of Money in ``currency`` (empty sums are zero in that currency)."""
    total = Money.zero(currency)
    for item in items:
        total = total + item
    return total


def allocate(total: Money, weights: Sequence[Money]) -> tuple[Money, ...]:
    """Split ``total`` over ``weights`` in proportion, in whole minor units, summing exactly
    to ``total`` (largest remainder): each share is first the floor of its exact quota
    ``total * weight / sum(weights)``; the minor units left over go one each to the shares
    with the largest fractional parts, the earlier share first on a tie. Integer arithmetic
    throughout, so the result is exact and the same every time.

    Weights may be negative (a credit line); when they sum to zero their absolute values
    are the proportions, and when every weight is zero the shares are equal."""
    if not weights:
        raise ValueError("weights: at least one is needed to allocate over")
    units = total.to_minor_units()  # refuses a total finer than its currency
    parts = [weight.to_minor_units(ROUND_HALF_EVEN) for weight in weights]
    for index, weight in enumerate(weights):
        if weight.currency != total.currency:
            raise CurrencyMismatchError(total.currency, weight.currency,
                                        f"allocate (weights.{index})")
    if sum(parts) == 0:
        parts = [abs(part) for part in parts]
    if sum(parts) == 0:
        parts = [1] * len(parts)
    whole = sum(parts)
    sign = 1 if whole > 0 else -1
    floors = [units * part // whole for part in parts]
    # the fractional part of quota i is (units * part - floor * whole) / whole, in [0, 1)
    fractions = [sign * (units * part - floor * whole) for part, floor in zip(parts, floors,
                                                                              strict=True)]
    left = units - sum(floors)  # 0 <= left < len(parts)
    for index in sorted(range(len(parts)), key=lambda i: (-fractions[i], i))[:left]:
        floors[index] += 1
    return tuple(Money.from_minor_units(share, total.currency) for share in floors)


__all__ = [
    "Amount",
    "CurrencyCode",
    "CurrencyMismatchError",
    "InexactAmountError",
    "Money",
    "allocate",
    "money_sum",
]
