"""PaymentIntents and charges: confirming a payment against a (test) card."""

from __future__ import annotations

import copy
from typing import Any

from accord.sandboxes.stripe import balance, cards
from accord.sandboxes.stripe.context import Ctx
from accord.sandboxes.stripe.errors import StripeApiError, invalid
from accord.sandboxes.stripe.ids import new_id
from accord.sandboxes.stripe.shapes import billing_details, wire
from accord.sandboxes.stripe.state import CardProfile, StripeObject

THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})


def check_amount(amount: int, currency: str, *, param: str = "amount") -> None:
    """Stripe charges three-decimal currencies only in whole tens of the minor unit."""
    if amount < 1:
        raise invalid("This value must be greater than or equal to 1.", param=param,
                      code="parameter_invalid_integer")
    if currency in THREE_DECIMAL and amount % 10:
        raise invalid(f"Amounts in {currency.upper()} must be multiples of 10 (the last "
                      "decimal digit must be 0).", param=param, code="invalid_charge_amount")


CARD_OPTIONS: dict[str, Any] = {
    "capture_method": None, "installments": None, "mandate_options": None, "network": None,
    "request_extended_authorization": None, "request_incremental_authorization": None,
    "request_multicapture": None, "request_overcapture": None,
    "request_three_d_secure": "automatic", "require_cvc_recollection": None,
    "setup_credential_usage": None, "setup_future_usage": None,
    "statement_descriptor_suffix_kana": None, "statement_descriptor_suffix_kanji": None,
    "stored_credential_usage": None,
}
"""``payment_method_options.card`` of a PaymentIntent the sandbox makes (Stripe's defaults)."""

STATEMENT_DESCRIPTOR = "ACCORD SANDBOX"


def new_intent(ctx: Ctx, *, amount: int, currency: str, customer: str | None,
               payment_method: str | None, description: str | None,
               metadata: dict[str, str], receipt_email: str | None = None) -> StripeObject:
    intent_id = new_id("pi")
    intent = wire("payment_intent", {
        "id": intent_id,
        "amount": amount,
        "amount_capturable": 0,
        "amount_received": 0,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic",
        "client_secret": f"{intent_id}_secret_{new_id('x')[2:]}",
        "confirmation_method": "automatic",
        "created": ctx.now(customer),
        "currency": currency,
        "customer": customer,
        "description": description,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": metadata,
        "payment_method": payment_method,
        # keyed by payment method type: Stripe sends the types the intent can use
        "payment_method_options": {"card": dict(CARD_OPTIONS)},
        "payment_method_types": ["card"],
        "receipt_email": receipt_email,
        "status": "requires_confirmation" if payment_method else "requires_payment_method",
    })
    ctx.store.insert(intent)
    ctx.emit("payment_intent.created", intent)
    return intent


RISK_SCORE = 20
"""Radar's score for every sandbox charge: a normal-risk card payment."""


def _outcome(ok: bool, profile: CardProfile) -> dict[str, Any]:
    return {
        "advice_code": None,
        "network_advice_code": None,
        "network_decline_code": None,
        "network_status": "approved_by_network" if ok else "declined_by_network",
        "reason": None if ok else profile.decline_code,
        "risk_level": "normal",
        "risk_score": RISK_SCORE,
        "rule": None,
        "seller_message": "Payment complete." if ok else "The bank did not return any "
        "further details with this decline.",
        "type": "authorized" if ok else "issuer_declined",
    }


def _charge(ctx: Ctx, intent: StripeObject, pm: StripeObject) -> StripeObject:
    profile = cards.profile_of(ctx, pm["id"])
    ok = not profile.declines
    charge_id = new_id("ch")
    charge = wire("charge", {
        "id": charge_id,
        "amount": intent["amount"],
        "amount_captured": intent["amount"] if ok else 0,
        "amount_refunded": 0,
        "balance_transaction": None,
        "billing_details": billing_details(pm["billing_details"]),
        "calculated_statement_descriptor": STATEMENT_DESCRIPTOR,
        "captured": ok,
        "created": ctx.now(intent["customer"]),
        "currency": intent["currency"],
        "customer": intent["customer"],
        "description": intent["description"],
        "disputed": False,
        "failure_code": profile.error_code,
        "failure_message": profile.message or None,
        "fraud_details": {"stripe_report": None, "user_report": None},
        "livemode": False,
        "metadata": dict(intent["metadata"]),
        "outcome": _outcome(ok, profile),
        "paid": ok,
        "payment_intent": intent["id"],
        "payment_method": pm["id"],
        # a type-keyed object: Stripe sends ``type`` and the member it names
        "payment_method_details": {
            "card": cards.charge_card(pm["card"], intent["amount"], succeeded=ok),
            "type": "card"},
        "receipt_email": intent["receipt_email"],
        "receipt_url": f"https://pay.stripe.com/receipts/payment/{charge_id}" if ok else None,
        "refunded": False,
        "status": "succeeded" if ok else "failed",
    })
    if ok:
        charge["balance_transaction"] = balance.for_charge(ctx, charge)["id"]
    ctx.store.insert(charge)
    ctx.emit("charge.succeeded" if ok else "charge.failed", charge)
    return charge


def confirm(ctx: Ctx, intent: StripeObject, payment_method: str | None = None) -> StripeObject:
    """Charge the intent's card. A decline leaves the intent ``requires_payment_method`` and
    raises Stripe's 402 card error (carrying the charge and intent, as Stripe does)."""
    if intent["status"] not in ("requires_payment_method", "requires_confirmation"):
        raise invalid(f"This PaymentIntent's status is {intent['status']}, so it cannot be "
                      "confirmed.", code="payment_intent_unexpected_state")
    reference = payment_method or intent["payment_method"]
    if reference is None:
        raise invalid("You cannot confirm this PaymentIntent because it's missing a payment "
                      "method.", param="payment_method",
                      code="payment_intent_unexpected_state")
    pm = cards.resolve(ctx, reference)
    if intent["customer"] and pm["customer"] not in (None, intent["customer"]):
        raise invalid("The provided PaymentMethod belongs to another customer.",
                      param="payment_method")
    intent["payment_method"] = pm["id"]
    charge = _charge(ctx, intent, pm)
    intent["latest_charge"] = charge["id"]
    if charge["status"] == "succeeded":
        intent["status"] = "succeeded"
        intent["amount_received"] = intent["amount"]
        intent["last_payment_error"] = None
        ctx.emit("payment_intent.succeeded", intent)
        return intent
    profile = cards.profile_of(ctx, pm["id"])
    error = cards.card_error(profile)
    error_body = error.body()["error"]
    intent["status"] = "requires_payment_method"
    # Stripe's error format: only the fields that apply
    intent["last_payment_error"] = {**error_body, "charge": charge["id"],
                                    "payment_method": copy.deepcopy(pm)}
    ctx.emit("payment_intent.payment_failed", intent)
    raise StripeApiError(402, error.error_type, error.message, code=error.code,
                         decline_code=error.decline_code,
                         extra={"charge": charge["id"], "payment_intent": copy.deepcopy(intent),
                                "payment_method": copy.deepcopy(pm)})


def refundable(charge: StripeObject) -> int:
    return int(charge["amount_captured"]) - int(charge["amount_refunded"])


def refund(ctx: Ctx, charge: StripeObject, amount: int | None, *, reason: str | None,
           metadata: dict[str, str], param: str = "amount") -> StripeObject:
    remaining = refundable(charge)
    if charge["status"] != "succeeded" or remaining <= 0:
        raise invalid(f"Charge {charge['id']} has already been refunded.",
                      code="charge_already_refunded")
    amount = remaining if amount is None else amount
    if amount < 1 or amount > remaining:
        raise invalid(f"Refund amount ({amount}) is greater than unrefunded amount on charge "
                      f"({remaining})", param=param, code="amount_too_large")
    obj = wire("refund", {
        "id": new_id("re"),
        "amount": amount,
        "balance_transaction": None,
        "charge": charge["id"],
        "created": ctx.now(charge["customer"]),
        "currency": charge["currency"],
        "customer": charge["customer"],
        # a type-keyed object: Stripe sends ``type`` and the member it names
        "destination_details": {"card": {"reference": None, "reference_status": "pending",
                                         "reference_type": None, "type": "refund"},
                                "type": "card"},
        "metadata": metadata,
        "payment_intent": charge["payment_intent"],
        "payment_method": charge["payment_method"],
        "reason": reason,
        "status": "succeeded",
    })
    obj["balance_transaction"] = balance.for_refund(ctx, obj, charge["customer"])["id"]
    ctx.store.insert(obj)
    charge["amount_refunded"] = int(charge["amount_refunded"]) + amount
    charge["refunded"] = charge["amount_refunded"] >= charge["amount_captured"]
    ctx.emit("refund.created", obj)
    ctx.emit("charge.refunded", charge)
    return obj


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
