"""Stripe's test payment methods and how each behaves when attached or charged.

``pm_card_visa`` and friends are shorthand ids Stripe accepts in test mode; using one creates
a new PaymentMethod (a fresh ``pm_...`` id) with the card's behaviour remembered in the store.
"""

from __future__ import annotations

from typing import Any

from accord.sandboxes.stripe.context import Ctx
from accord.sandboxes.stripe.errors import ErrorType, StripeApiError, invalid, no_such
from accord.sandboxes.stripe.ids import new_id
from accord.sandboxes.stripe.state import CardProfile, StripeObject

_DECLINED = "Your card was declined."

TEST_CARDS: dict[str, CardProfile] = {
    "pm_card_visa": CardProfile("visa", "4242"),
    "pm_card_visa_debit": CardProfile("visa", "5556"),
    "pm_card_mastercard": CardProfile("mastercard", "4444"),
    "pm_card_amex": CardProfile("amex", "8431"),
    "pm_card_chargeDeclined": CardProfile("visa", "0002", "card_declined", "generic_decline",
                                          _DECLINED, fails_on_attach=True),
    "pm_card_chargeDeclinedInsufficientFunds": CardProfile(
        "visa", "9995", "card_declined", "insufficient_funds",
        "Your card has insufficient funds.", fails_on_attach=True),
    "pm_card_chargeDeclinedLostCard": CardProfile(
        "visa", "9987", "card_declined", "lost_card", _DECLINED, fails_on_attach=True),
    "pm_card_chargeDeclinedStolenCard": CardProfile(
        "visa", "9979", "card_declined", "stolen_card", _DECLINED, fails_on_attach=True),
    "pm_card_chargeDeclinedFraudulent": CardProfile(
        "visa", "0019", "card_declined", "fraudulent", _DECLINED, fails_on_attach=True),
    "pm_card_chargeDeclinedExpiredCard": CardProfile(
        "visa", "0069", "expired_card", "expired_card", "Your card has expired.",
        fails_on_attach=True),
    "pm_card_chargeDeclinedIncorrectCvc": CardProfile(
        "visa", "0127", "incorrect_cvc", "incorrect_cvc",
        "Your card's security code is incorrect.", fails_on_attach=True),
    "pm_card_chargeDeclinedProcessingError": CardProfile(
        "visa", "0119", "processing_error", "processing_error",
        "An error occurred while processing your card. Try again in a little bit.",
        fails_on_attach=True),
    # attaches fine; off-session charges need authentication the sandbox cannot give
    "pm_card_authenticationRequired": CardProfile(
        "visa", "3184", "card_declined", "authentication_required",
        "Your card was declined. This transaction requires authentication."),
    # attaches fine; every charge is then declined (for dunning)
    "pm_card_chargeCustomerFail": CardProfile("visa", "0341", "card_declined",
                                              "generic_decline", _DECLINED),
}


def card_error(profile: CardProfile, *, extra: dict[str, Any] | None = None) -> StripeApiError:
    return StripeApiError(402, ErrorType.CARD_ERROR, profile.message,
                          code=profile.error_code, decline_code=profile.decline_code,
                          extra=extra)


def _payment_method(ctx: Ctx, profile: CardProfile, customer: str | None) -> StripeObject:
    created = ctx.now(customer)
    obj: StripeObject = {
        "id": new_id("pm"),
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": {"address": None, "email": None, "name": None, "phone": None},
        "card": {"brand": profile.brand, "country": "US", "exp_month": 12,
                 "exp_year": 2034, "funding": "credit", "last4": profile.last4},
        "created": created,
        "customer": customer,
        "livemode": False,
        "metadata": {},
        "type": "card",
    }
    ctx.store.insert(obj)
    ctx.store.cards[obj["id"]] = profile
    return obj


def resolve(ctx: Ctx, reference: str, *, param: str = "payment_method") -> StripeObject:
    """The PaymentMethod for an id, creating one for a test shorthand like ``pm_card_visa``."""
    profile = TEST_CARDS.get(reference)
    if profile is not None:
        return _payment_method(ctx, profile, None)
    found = ctx.store.find("payment_method", reference)
    if found is None:
        raise no_such("PaymentMethod", reference, param=param, status=400)
    return found


def profile_of(ctx: Ctx, payment_method_id: str) -> CardProfile:
    return ctx.store.cards.get(payment_method_id, TEST_CARDS["pm_card_visa"])


def attach(ctx: Ctx, reference: str, customer_id: str, *,
           param: str = "payment_method") -> StripeObject:
    pm = resolve(ctx, reference, param=param)
    if pm.get("customer") and pm["customer"] != customer_id:
        raise invalid("The payment method you provided has already been attached to a "
                      "customer.", param=param)
    profile = profile_of(ctx, pm["id"])
    if profile.fails_on_attach:
        raise card_error(profile, extra={"param": param})
    if pm.get("customer") != customer_id:
        pm["customer"] = customer_id
        ctx.emit("payment_method.attached", pm)
    return pm
