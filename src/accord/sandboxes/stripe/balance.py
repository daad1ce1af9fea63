"""Balance transactions: the funds a charge or refund moves through the Stripe balance,
with the processing fee Stripe keeps.

A succeeded charge gets a ``balance_transaction`` of type ``charge``: ``amount`` is the
gross, ``fee`` the processing fee (itemised in ``fee_details`` as ``stripe_fee``), ``net``
what reaches the balance. A refund gets one of type ``refund`` (negative amount, no fee:
Stripe does not return the original fee). The fee follows a standard card pricing: a
percentage of the amount plus a fixed part in the currency's minor unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from accord.sandboxes.stripe.context import Ctx
from accord.sandboxes.stripe.ids import new_id
from accord.sandboxes.stripe.shapes import wire
from accord.sandboxes.stripe.state import StripeObject

COLLECTION = "balance_transaction"
DAY = 86_400
PAYOUT_DELAY_DAYS = 2


@dataclass(frozen=True)
class FeeSchedule:
    percent: Decimal
    fixed: int
    """In the currency's minor unit."""

    def fee(self, amount: int) -> int:
        variable = (Decimal(amount) * self.percent / 100).quantize(Decimal(1), ROUND_HALF_UP)
        return int(variable) + self.fixed


STANDARD = FeeSchedule(Decimal("2.9"), 30)
FEES: dict[str, FeeSchedule] = {
    "usd": STANDARD,
    "eur": FeeSchedule(Decimal("1.5"), 25),
    "gbp": FeeSchedule(Decimal("1.5"), 20),
}


def processing_fee(amount: int, currency: str) -> int:
    """The fee Stripe keeps on a card charge of ``amount`` (minor units), never more than
    the amount itself."""
    return min(FEES.get(currency, STANDARD).fee(amount), amount)


def record(ctx: Ctx, *, source: str, kind: str, amount: int, currency: str, fee: int,
           customer: str | None, description: str | None) -> StripeObject:
    created = ctx.now(customer)
    details = ([{"amount": fee, "application": None, "currency": currency,
                 "description": "Stripe processing fees", "type": "stripe_fee"}]
               if fee else [])
    txn = wire(COLLECTION, {
        "id": new_id("txn"),
        "amount": amount,
        "available_on": created + PAYOUT_DELAY_DAYS * DAY,
        "balance_type": "payments",
        "created": created,
        "currency": currency,
        "description": description,
        "fee": fee,
        "fee_details": details,
        "net": amount - fee,
        "reporting_category": kind,
        "source": source,
        "status": "pending",
        "type": kind,
    })
    ctx.store.insert(txn)
    return txn


def for_charge(ctx: Ctx, charge: StripeObject) -> StripeObject:
    amount = int(charge["amount_captured"])
    return record(ctx, source=charge["id"], kind="charge", amount=amount,
                  currency=charge["currency"], fee=processing_fee(amount, charge["currency"]),
                  customer=charge["customer"], description=charge["description"])


def for_refund(ctx: Ctx, refund: StripeObject, customer: str | None) -> StripeObject:
    return record(ctx, source=refund["id"], kind="refund", amount=-int(refund["amount"]),
                  currency=refund["currency"], fee=0, customer=customer,
                  description="REFUND FOR CHARGE")


__all__ = ["FEES", "FeeSchedule", "for_charge", "for_refund", "processing_fee", "record"]
