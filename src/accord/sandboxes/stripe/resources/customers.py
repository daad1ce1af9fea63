"""Customers: create, retrieve, update, delete, list, search; a customer's payment methods."""

from __future__ import annotations

from typing import Any

from accord.sandboxes.stripe import cards
from accord.sandboxes.stripe.context import Ctx
from accord.sandboxes.stripe.errors import invalid
from accord.sandboxes.stripe.ids import new_id
from accord.sandboxes.stripe.listing import (
    created_filter,
    list_object,
    search_matches,
    search_object,
)
from accord.sandboxes.stripe.params import Params
from accord.sandboxes.stripe.resources.common import address, deleted, previous
from accord.sandboxes.stripe.routing import Router
from accord.sandboxes.stripe.shapes import wire

_TEXT = ("name", "email", "phone", "description")


def _invoice_settings(ctx: Ctx, params: Params, customer_id: str,
                      current: dict[str, Any]) -> dict[str, Any]:
    settings = dict(current)
    given = params.sub("invoice_settings")
    if given is not None:
        reference = given.str("default_payment_method")
        if reference is not None:
            pm = ctx.store.get("payment_method", reference,
                               param="invoice_settings[default_payment_method]", status=400)
            if pm.get("customer") != customer_id:
                raise invalid("The customer does not have a payment method with the ID "
                              f"{reference}. The payment method must be attached to the "
                              "customer.", param="invoice_settings[default_payment_method]")
            settings["default_payment_method"] = pm["id"]
        if given.has("footer"):
            settings["footer"] = given.str("footer")
    return settings


def create(ctx: Ctx, params: Params, path: dict[str, str]) -> dict[str, Any]:
    with ctx.store.atomic(keep_declines=False):
        return _create(ctx, params, path)


def _create(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    clock_id = params.str("test_clock")
    if clock_id is not None:
        ctx.store.get("test_helpers.test_clock", clock_id, param="test_clock", status=400)
    customer_id = new_id("cus")
    customer = wire("customer", {
        "id": customer_id,
        "address": address(params.sub("address")),
        "balance": params.int("balance") or 0,
        "created": 0,
        "currency": None,
        "delinquent": False,
        "description": params.str("description"),
        "email": params.str("email"),
        "invoice_prefix": customer_id[4:12].upper(),
        "invoice_settings": {"custom_fields": None, "default_payment_method": None,
                             "footer": None, "rendering_options": None},
        "livemode": False,
        "metadata": params.metadata(),
        "name": params.str("name"),
        "next_invoice_sequence": 1,
        "phone": params.str("phone"),
        "preferred_locales": params.strings("preferred_locales"),
        "tax_exempt": params.str("tax_exempt", choices=("none", "exempt", "reverse")) or "none",
        "test_clock": clock_id,
    })
    ctx.store.insert(customer)
    customer["created"] = ctx.now(customer_id)
    reference = params.str("payment_method")
    if reference is not None:
        pm = cards.attach(ctx, reference, customer_id)
        settings = params.data.get("invoice_settings")
        if isinstance(settings, dict) and settings.get("default_payment_method") == reference:
            settings["default_payment_method"] = pm["id"]
    customer["invoice_settings"] = _invoice_settings(ctx, params, customer_id,
                                                     customer["invoice_settings"])
    ctx.emit("customer.created", customer)
    return customer


def retrieve(ctx: Ctx, _: Params, path: dict[str, str]) -> dict[str, Any]:
    found = ctx.store.find("customer", path["id"])
    if found is not None and found.get("deleted"):
        return {"id": found["id"], "object": "customer", "deleted": True}
    return ctx.store.get("customer", path["id"])


def update(ctx: Ctx, params: Params, path: dict[str, str]) -> dict[str, Any]:
    customer = ctx.store.get("customer", path["id"])
    changes: dict[str, Any] = {key: params.str(key) for key in _TEXT if params.has(key)}
    if params.has("address"):
        changes["address"] = address(params.sub("address"))
    if params.has("metadata"):
        changes["metadata"] = params.metadata(customer["metadata"])
    if params.has("balance"):
        changes["balance"] = params.int("balance")
    if params.has("tax_exempt"):
        changes["tax_exempt"] = params.str("tax_exempt", choices=("none", "exempt", "reverse"))
    if params.has("invoice_settings"):
        changes["invoice_settings"] = _invoice_settings(ctx, params, customer["id"],
                                                        customer["invoice_settings"])
    old = previous(customer, changes)
    customer.update(changes)
    if old:
        ctx.emit("customer.updated", customer, old)
    return customer


def delete(ctx: Ctx, _: Params, path: dict[str, str]) -> dict[str, Any]:
    customer = ctx.store.get("customer", path["id"])
    customer["deleted"] = True
    for sub in ctx.store.all("subscription"):
        if sub["customer"] == customer["id"] and sub["status"] != "canceled":
            sub["status"] = "canceled"
            sub["canceled_at"] = sub["ended_at"] = ctx.now()
    ctx.emit("customer.deleted", customer)
    return deleted("customer", customer["id"])


def list_all(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    email = params.str("email")
    clock = params.str("test_clock")
    in_range = created_filter(params)
    items = [c for c in ctx.store.all("customer")
             if (email is None or c["email"] == email)
             and (clock is None or c["test_clock"] == clock) and in_range(c)]
    return list_object("/v1/customers", items, params)


def search(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    matches = search_matches(params.req("query"))
    items = [c for c in ctx.store.all("customer") if matches(c)]
    return search_object("/v1/customers/search", items, params)


def payment_methods(ctx: Ctx, params: Params, path: dict[str, str]) -> dict[str, Any]:
    customer = ctx.store.get("customer", path["id"])
    items = [pm for pm in ctx.store.all("payment_method") if pm["customer"] == customer["id"]]
    return list_object(f"/v1/customers/{customer['id']}/payment_methods", items, params)


def register(router: Router) -> None:
    router.add("POST", "/v1/customers", create,
               "name email phone description address balance metadata preferred_locales "
               "tax_exempt test_clock payment_method invoice_settings")
    router.add("GET", "/v1/customers", list_all)
    router.add("GET", "/v1/customers/search", search)
    router.add("GET", "/v1/customers/{id}", retrieve)
    router.add("POST", "/v1/customers/{id}", update,
               "name email phone description address balance metadata tax_exempt invoice_settings")
    router.add("DELETE", "/v1/customers/{id}", delete)
    router.add("GET", "/v1/customers/{id}/payment_methods", payment_methods)
