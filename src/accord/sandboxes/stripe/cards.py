"""Stripe's test payment methods and how each behaves when attached or charged.

``pm_card_visa`` and friends are shorthand ids Stripe accepts in test mode; using one creates
a new PaymentMethod (a fresh ``pm_...`` id) with the card's behaviour remembered in the store.
"""

from __future__ import annotations

import hashlib
from typing import Any

from accord.sandboxes.stripe.context import Ctx
from accord.sandboxes.stripe.errors import ErrorType, StripeApiError, invalid, no_such
from accord.sandboxes.stripe.ids import new_id
from accord.sandboxes.stripe.shapes import billing_details, wire
from accord.sandboxes.stripe.state import CardProfile, StripeObject

_DECLINED = "Your card was declined."

TEST_CARDS: dict[str, CardProfile] = {
    "pm_card_visa": CardProfile("visa", "4242"),
    "pm_card_visa_debit": CardProfile("visa", "5556", funding="debit"),
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


def fingerprint(profile: CardProfile) -> str:
    """The same card number always has the same fingerprint (as on Stripe)."""
    digest = hashlib.sha256(f"{profile.brand}:{profile.last4}".encode()).hexdigest()
    return digest[:16]


def method_card(profile: CardProfile) -> dict[str, Any]:
    """``card`` of a card PaymentMethod."""
    return {
        "brand": profile.brand,
        "checks": {"address_line1_check": None, "address_postal_code_check": None,
                   "cvc_check": "unchecked"},
        "country": "US",
        "description": None,
        "display_brand": profile.brand,
        "exp_month": 12,
        "exp_year": 2034,
        "fingerprint": fingerprint(profile),
        "funding": profile.funding,
        "generated_from": None,
        "iin": None,
        "issuer": None,
        "last4": profile.last4,
        "networks": {"available": [profile.brand], "preferred": None},
        "regulated_status": "unregulated",
        "three_d_secure_usage": {"supported": True},
        "wallet": None,
    }


def charge_card(card: dict[str, Any], amount: int, *, succeeded: bool) -> dict[str, Any]:
    """``payment_method_details.card`` of a charge made with the PaymentMethod ``card``."""
    return {
        "amount_authorized": amount if succeeded else None,
        "authorization_code": None,
        "brand": card["brand"],
        "capture_before": None,
        "checks": {"address_line1_check": None, "address_postal_code_check": None,
                   "cvc_check": None},
        "country": card["country"],
        "description": card["description"],
        "electronic_commerce_indicator": None,
        "exp_month": card["exp_month"],
        "exp_year": card["exp_year"],
        "extended_authorization": {"status": "disabled"},
        "fingerprint": card["fingerprint"],
        "funding": card["funding"],
        "iin": card["iin"],
        "incremental_authorization": {"status": "unavailable"},
        "installments": None,
        "issuer": card["issuer"],
        "last4": card["last4"],
        "mandate": None,
        "moto": None,
        "multicapture": {"status": "unavailable"},
        "network": card["brand"],
        "network_token": {"used": False},
        "network_transaction_id": None,
        "overcapture": {"maximum_amount_capturable": amount, "status": "unavailable"},
        "regulated_status": card["regulated_status"],
        "setup_credential_usage": None,
        "stored_credential_usage": None,
        "three_d_secure": None,
        "transaction_link_id": None,
        "wallet": None,
    }


def _payment_method(ctx: Ctx, profile: CardProfile, customer: str | None) -> StripeObject:
    created = ctx.now(customer)
    obj = wire("payment_method", {
        "id": new_id("pm"),
        "allow_redisplay": "unspecified",
        "billing_details": billing_details(),
        "card": method_card(profile),
        "created": created,
        "customer": customer,
        "livemode": False,
        "metadata": {},
        "type": "card",
    })
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
