"""Payment methods, PaymentIntents, charges and refunds."""

from __future__ import annotations

from typing import Any

from accord.sandboxes.stripe import balance, cards, charging
from accord.sandboxes.stripe.context import Ctx
from accord.sandboxes.stripe.errors import invalid, missing_param
from accord.sandboxes.stripe.listing import (
    created_filter,
    list_object,
    search_matches,
    search_object,
)
from accord.sandboxes.stripe.params import Params
from accord.sandboxes.stripe.resources.common import currency
from accord.sandboxes.stripe.routing import Router


# -- payment methods ---------------------------------------------------------------------------
def retrieve_pm(ctx: Ctx, _: Params, path: dict[str, str]) -> dict[str, Any]:
    return ctx.store.get("payment_method", path["id"])


def attach_pm(ctx: Ctx, params: Params, path: dict[str, str]) -> dict[str, Any]:
    customer = ctx.store.get("customer", params.req("customer"), param="customer", status=400)
    return cards.attach(ctx, path["id"], customer["id"], param="payment_method")


def detach_pm(ctx: Ctx, _: Params, path: dict[str, str]) -> dict[str, Any]:
    pm = ctx.store.get("payment_method", path["id"])
    if pm["customer"] is None:
        raise invalid("The payment method you provided is not attached to a customer so "
                      "detachment is impossible.", param="payment_method")
    customer = ctx.store.find("customer", pm["customer"])
    if customer and customer["invoice_settings"]["default_payment_method"] == pm["id"]:
        customer["invoice_settings"]["default_payment_method"] = None
    pm["customer"] = None
    ctx.emit("payment_method.detached", pm)
    return pm


def list_pms(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    customer = params.str("customer")
    items = [pm for pm in ctx.store.all("payment_method")
             if customer is None or pm["customer"] == customer]
    return list_object("/v1/payment_methods", items, params)


# -- payment intents ---------------------------------------------------------------------------
def create_intent(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    pi_currency = currency(params)
    assert pi_currency is not None
    amount = params.req_int("amount")
    charging.check_amount(amount, pi_currency)
    customer = params.str("customer")
    if customer is not None:
        customer = ctx.store.get("customer", customer, param="customer", status=400)["id"]
    reference = params.str("payment_method")
    pm_id = cards.resolve(ctx, reference)["id"] if reference else None
    intent = charging.new_intent(ctx, amount=amount, currency=pi_currency, customer=customer,
                                 payment_method=pm_id, description=params.str("description"),
                                 metadata=params.metadata(),
                                 receipt_email=params.str("receipt_email"))
    if params.bool("confirm", False):
        charging.confirm(ctx, intent)
    return intent


def retrieve_intent(ctx: Ctx, _: Params, path: dict[str, str]) -> dict[str, Any]:
    return ctx.store.get("payment_intent", path["id"])


def update_intent(ctx: Ctx, params: Params, path: dict[str, str]) -> dict[str, Any]:
    intent = ctx.store.get("payment_intent", path["id"])
    changes: dict[str, Any] = {}
    if params.has("description"):
        changes["description"] = params.str("description")
    if params.has("metadata"):
        changes["metadata"] = params.metadata(intent["metadata"])
    if params.has("amount"):
        if intent["status"] not in ("requires_payment_method", "requires_confirmation"):
            raise invalid("This PaymentIntent's amount could not be updated because it has a "
                          f"status of {intent['status']}.", param="amount",
                          code="payment_intent_unexpected_state")
        amount = params.req_int("amount")
        charging.check_amount(amount, intent["currency"])
        changes["amount"] = amount
    if params.has("payment_method"):
        changes["payment_method"] = cards.resolve(ctx, params.req("payment_method"))["id"]
    intent.update(changes)  # Stripe records no event for a PaymentIntent's update
    return intent


def confirm_intent(ctx: Ctx, params: Params, path: dict[str, str]) -> dict[str, Any]:
    intent = ctx.store.get("payment_intent", path["id"])
    return charging.confirm(ctx, intent, params.str("payment_method"))


def cancel_intent(ctx: Ctx, params: Params, path: dict[str, str]) -> dict[str, Any]:
    intent = ctx.store.get("payment_intent", path["id"])
    if intent["status"] in ("succeeded", "canceled"):
        raise invalid(f"You cannot cancel this PaymentIntent because it has a status of "
                      f"{intent['status']}.", code="payment_intent_unexpected_state")
    intent["status"] = "canceled"
    intent["canceled_at"] = ctx.now(intent["customer"])
    intent["cancellation_reason"] = params.str("cancellation_reason")
    ctx.emit("payment_intent.canceled", intent)
    return intent


def list_intents(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    customer = params.str("customer")
    in_range = created_filter(params)
    items = [pi for pi in ctx.store.all("payment_intent")
             if (customer is None or pi["customer"] == customer) and in_range(pi)]
    return list_object("/v1/payment_intents", items, params)


def search_intents(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    matches = search_matches(params.req("query"))
    return search_object("/v1/payment_intents/search",
                         [pi for pi in ctx.store.all("payment_intent") if matches(pi)], params)


# -- charges -----------------------------------------------------------------------------------
def retrieve_charge(ctx: Ctx, _: Params, path: dict[str, str]) -> dict[str, Any]:
    return ctx.store.get("charge", path["id"])


def list_charges(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    customer = params.str("customer")
    intent = params.str("payment_intent")
    in_range = created_filter(params)
    items = [ch for ch in ctx.store.all("charge")
             if (customer is None or ch["customer"] == customer)
             and (intent is None or ch["payment_intent"] == intent) and in_range(ch)]
    return list_object("/v1/charges", items, params)


# -- refunds -----------------------------------------------------------------------------------
def create_refund(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    charge_id = params.str("charge")
    intent_id = params.str("payment_intent")
    if charge_id is None and intent_id is None:
        raise missing_param("charge")
    if charge_id is not None:
        charge = ctx.store.get("charge", charge_id, param="charge", status=400)
    else:
        assert intent_id is not None
        intent = ctx.store.get("payment_intent", intent_id, param="payment_intent", status=400)
        if intent["status"] != "succeeded" or intent["latest_charge"] is None:
            raise invalid(f"This PaymentIntent ({intent_id}) does not have a successful charge "
                          "to refund.", param="payment_intent")
        charge = ctx.store.get("charge", intent["latest_charge"])
    reason = params.str("reason",
                        choices=("duplicate", "fraudulent", "requested_by_customer"))
    return charging.refund(ctx, charge, params.int("amount"), reason=reason,
                           metadata=params.metadata())


def retrieve_refund(ctx: Ctx, _: Params, path: dict[str, str]) -> dict[str, Any]:
    return ctx.store.get("refund", path["id"])


def list_refunds(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    charge = params.str("charge")
    intent = params.str("payment_intent")
    items = [re for re in ctx.store.all("refund")
             if (charge is None or re["charge"] == charge)
             and (intent is None or re["payment_intent"] == intent)]
    return list_object("/v1/refunds", items, params)


# -- balance transactions ----------------------------------------------------------------------
def retrieve_balance_transaction(ctx: Ctx, _: Params, path: dict[str, str]) -> dict[str, Any]:
    return ctx.store.get(balance.COLLECTION, path["id"])


def list_balance_transactions(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    source = params.str("source")
    kind = params.str("type")
    in_range = created_filter(params)
    items = [txn for txn in ctx.store.all(balance.COLLECTION)
             if (source is None or txn["source"] == source)
             and (kind is None or txn["type"] == kind) and in_range(txn)]
    return list_object("/v1/balance_transactions", items, params)


def register(router: Router) -> None:
    router.add("GET", "/v1/payment_methods", list_pms)
    router.add("GET", "/v1/payment_methods/{id}", retrieve_pm)
    router.add("POST", "/v1/payment_methods/{id}/attach", attach_pm,
               "customer")
    router.add("POST", "/v1/payment_methods/{id}/detach", detach_pm,
               "")
    router.add("POST", "/v1/payment_intents", create_intent,
               "amount currency customer payment_method description metadata confirm off_session "
               "payment_method_types receipt_email")
    router.add("GET", "/v1/payment_intents", list_intents)
    router.add("GET", "/v1/payment_intents/search", search_intents)
    router.add("GET", "/v1/payment_intents/{id}", retrieve_intent)
    router.add("POST", "/v1/payment_intents/{id}", update_intent,
               "amount description metadata payment_method")
    router.add("POST", "/v1/payment_intents/{id}/confirm", confirm_intent,
               "payment_method off_session")
    router.add("POST", "/v1/payment_intents/{id}/cancel", cancel_intent,
               "cancellation_reason")
    router.add("GET", "/v1/charges", list_charges)
    router.add("GET", "/v1/charges/{id}", retrieve_charge)
    router.add("POST", "/v1/refunds", create_refund,
               "charge payment_intent amount reason metadata")
    router.add("GET", "/v1/refunds", list_refunds)
    router.add("GET", "/v1/refunds/{id}", retrieve_refund)
    router.add("GET", "/v1/balance_transactions", list_balance_transactions)
    router.add("GET", "/v1/balance_transactions/{id}", retrieve_balance_transaction)
