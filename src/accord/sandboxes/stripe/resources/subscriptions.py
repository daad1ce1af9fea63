"""Subscriptions and subscription items: create, update with proration, cancel, list."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from accord.sandboxes.stripe import billing, invoicing
from accord.sandboxes.stripe.context import Ctx
from accord.sandboxes.stripe.errors import invalid, missing_param
from accord.sandboxes.stripe.ids import new_id
from accord.sandboxes.stripe.invoicing import DAY
from accord.sandboxes.stripe.listing import (
    created_filter,
    list_object,
    search_matches,
    search_object,
)
from accord.sandboxes.stripe.params import Params
from accord.sandboxes.stripe.routing import Router
from accord.sandboxes.stripe.shapes import wire
from accord.sandboxes.stripe.state import StripeObject

_BEHAVIOURS = ("allow_incomplete", "default_incomplete", "error_if_incomplete",
               "pending_if_incomplete")
_PRORATION = ("create_prorations", "none", "always_invoice")


def _recurring_price(ctx: Ctx, item: Params, currency: str | None) -> StripeObject:
    price = ctx.store.get("price", item.req("price"), param=item.name("price"), status=400)
    if price["recurring"] is None:
        raise invalid("The price specified is set to `type=one_time` but this field only "
                      "accepts prices with `type=recurring`.", param=item.name("price"))
    if currency is not None and price["currency"] != currency:
        raise invalid("All prices on a subscription must have the same currency.",
                      param=item.name("price"))
    return price


def plan_of(price: StripeObject) -> StripeObject:
    """The legacy Plan view of a recurring price, which Stripe still sends on each
    subscription item."""
    recurring = price["recurring"]
    return wire("plan", {
        "id": price["id"],
        "active": price["active"],
        "amount": price["unit_amount"],
        "amount_decimal": price["unit_amount_decimal"],
        "billing_scheme": price["billing_scheme"],
        "created": price["created"],
        "currency": price["currency"],
        "interval": recurring["interval"],
        "interval_count": recurring["interval_count"],
        "livemode": False,
        "metadata": dict(price["metadata"]),
        "meter": recurring["meter"],
        "nickname": price["nickname"],
        "product": price["product"],
        "tiers": copy.deepcopy(price["tiers"]),
        "tiers_mode": price["tiers_mode"],
        "trial_period_days": recurring["trial_period_days"],
        "usage_type": recurring["usage_type"],
    })


def set_price(item: StripeObject, price: StripeObject) -> None:
    item["price"] = copy.deepcopy(price)
    item["plan"] = plan_of(price)


def _new_item(ctx: Ctx, sub: StripeObject, price: StripeObject, quantity: int, *,
              metadata: dict[str, str], period: tuple[int, int]) -> StripeObject:
    metered = price["recurring"]["usage_type"] == "metered"
    item = wire("subscription_item", {
        "id": new_id("si"),
        "created": period[0],
        "current_period_end": period[1],
        "current_period_start": period[0],
        "discounts": [],
        "metadata": metadata,
        "plan": plan_of(price),
        "price": copy.deepcopy(price),
        "quantity": None if metered else quantity,
        "subscription": sub["id"],
        "tax_rates": [],
    })
    ctx.store.insert(item)
    return item


def create(ctx: Ctx, params: Params, path: dict[str, str]) -> dict[str, Any]:
    with ctx.store.atomic():
        return _create(ctx, params, path)


def _create(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    customer = ctx.store.get("customer", params.req("customer"), param="customer", status=400)
    item_params = params.list("items")
    if not item_params:
        raise missing_param("items")
    prices: list[tuple[StripeObject, int | None]] = []
    currency: str | None = None
    for item in item_params:
        price = _recurring_price(ctx, item, currency)
        currency = price["currency"]
        prices.append((price, item.int("quantity", minimum=0)))
    first = prices[0][0]["recurring"]
    for price, _quantity in prices:
        if (price["recurring"]["interval"], price["recurring"]["interval_count"]) != (
                first["interval"], first["interval_count"]):
            raise invalid("Currently, all prices on a subscription must have the same "
                          "`recurring.interval` and `recurring.interval_count`.", param="items")
    method = params.str("collection_method", choices=("charge_automatically", "send_invoice")
                        ) or "charge_automatically"
    behaviour = params.str("payment_behavior", choices=_BEHAVIOURS) or "allow_incomplete"
    pm_ref = params.str("default_payment_method")
    pm_id = None
    if pm_ref is not None:
        pm = ctx.store.get("payment_method", pm_ref, param="default_payment_method", status=400)
        if pm["customer"] != customer["id"]:
            raise invalid("The customer does not have a payment method with the ID "
                          f"{pm_ref}.", param="default_payment_method")
        pm_id = pm["id"]
    has_method = pm_id or customer["invoice_settings"]["default_payment_method"]
    trial_days = params.int("trial_period_days", minimum=0)
    if (method == "charge_automatically" and not has_method and not trial_days
            and behaviour in ("allow_incomplete", "error_if_incomplete")):
        raise invalid("This customer has no attached payment source or default payment "
                      "method. Please consider adding a default payment method.",
                      code="resource_missing", param="default_payment_method")
    days_until_due = params.int("days_until_due", minimum=0)
    if method == "send_invoice" and days_until_due is None:
        days_until_due = 30
    now = ctx.now(customer["id"])
    sub_id = new_id("sub")
    sub = wire("subscription", {
        "id": sub_id,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor": now,
        "billing_mode": {"flexible": {"proration_discounts": "included"}, "type": "flexible",
                         "updated_at": None},
        "billing_schedules": [],
        "cancel_at": params.int("cancel_at"),
        "cancel_at_period_end": params.bool("cancel_at_period_end", False),
        "canceled_at": None,
        "cancellation_details": {"comment": None, "feedback": None, "feedback_option": None,
                                 "reason": None},
        "collection_method": method,
        "created": now,
        "currency": currency,
        "customer": customer["id"],
        "days_until_due": days_until_due,
        "default_payment_method": pm_id,
        "default_tax_rates": invoicing.rate_objects(ctx, params.strings("default_tax_rates"),
                                                   param="default_tax_rates"),
        "description": params.str("description"),
        "discounts": [],
        "ended_at": None,
        "invoice_settings": {"account_tax_ids": None, "custom_fields": None,
                             "description": None, "footer": None,
                             "issuer": {"account": None, "type": "self"}},
        "items": {"object": "list", "data": [], "has_more": False,
                  "url": f"/v1/subscription_items?subscription={sub_id}"},
        "latest_invoice": None,
        "livemode": False,
        "metadata": params.metadata(),
        "payment_settings": {"payment_method_options": None, "payment_method_types": None,
                             "save_default_payment_method": "off"},
        "start_date": now,
        "status": "incomplete",
        "test_clock": customer["test_clock"],
        "trial_end": None,
        "trial_settings": {"end_behavior": {"billing_cycle_anchor": None,
                                            "missing_payment_method": "create_invoice"}},
        "trial_start": None,
    })
    if trial_days:
        sub["trial_start"], sub["trial_end"] = now, now + trial_days * DAY
        period = (now, now + trial_days * DAY)
    else:
        period = (now, 0)
    for (price, quantity), item in zip(prices, item_params, strict=True):
        sub["items"]["data"].append(_new_item(ctx, sub, price, 1 if quantity is None
                                              else quantity, metadata=item.metadata(),
                                              period=period))
    if not trial_days:
        end = billing.next_period_end(sub, now)
        for si in sub["items"]["data"]:
            si["current_period_end"] = end
    ctx.store.insert(sub)
    for extra in params.list("add_invoice_items"):
        price = ctx.store.get("price", extra.req("price"), param=extra.name("price"),
                              status=400)
        invoicing.new_invoice_item(ctx, customer, amount=invoicing.price_amount(
            price, extra.int("quantity") or 1), currency=price["currency"],
            description=None, quantity=extra.int("quantity") or 1, price=price,
            subscription=sub_id)
    invoice = billing.subscription_invoice(
        ctx, sub, "subscription_create", None if trial_days else billing.period_of(sub),
        (now, now))
    if trial_days:
        for si in sub["items"]["data"]:
            invoicing.add_line(ctx, invoice, invoicing.line_for(
                ctx, invoice, amount=0, description=f"Trial period for {si['price']['product']}",
                quantity=int(si["quantity"] or 0), price=si["price"], period=period,
                proration=False, subscription=sub_id, subscription_item=si["id"]))
    sub["status"] = "trialing" if trial_days else "incomplete"
    ctx.emit("customer.subscription.created", sub)
    invoicing.finalize(ctx, invoice)
    if invoice["status"] == "paid":
        billing.set_status(ctx, sub, "trialing" if trial_days else "active")
    elif method == "send_invoice":
        billing.set_status(ctx, sub, "active")
    elif behaviour != "default_incomplete":
        error = invoicing.attempt_payment(ctx, invoice)
        if error is None:
            billing.set_status(ctx, sub, "active")
        elif behaviour == "error_if_incomplete":
            sub["status"] = "incomplete_expired"
            raise error
    return sub


def retrieve(ctx: Ctx, _: Params, path: dict[str, str]) -> dict[str, Any]:
    return ctx.store.get("subscription", path["id"])


def _prorate(ctx: Ctx, sub: StripeObject, item: StripeObject, price: StripeObject, *,
             quantity: int, now: int, sign: int) -> StripeObject | None:
    start, end = billing.period_of(sub)
    if now >= end or price["recurring"]["usage_type"] == "metered":
        return None
    full = invoicing.price_amount(price, quantity)
    amount = invoicing.round_minor(
        Decimal(full) * (end - now) / (end - start)) * sign
    if amount == 0:
        return None
    product = ctx.store.find("product", price["product"])
    name = product["name"] if product else price["product"]
    wording = "Remaining time on" if sign > 0 else "Unused time on"
    customer = ctx.store.get("customer", sub["customer"])
    return invoicing.new_invoice_item(
        ctx, customer, amount=amount, currency=sub["currency"],
        description=f"{wording} {quantity} x {name}", quantity=quantity, price=price,
        period=(now, end), proration=True, subscription=sub["id"],
        subscription_item=item["id"])


def update(ctx: Ctx, params: Params, path: dict[str, str]) -> dict[str, Any]:
    with ctx.store.atomic():
        return _update(ctx, params, path)


def _update(ctx: Ctx, params: Params, path: dict[str, str]) -> dict[str, Any]:
    sub = ctx.store.get("subscription", path["id"])
    if sub["status"] in ("canceled", "incomplete_expired"):
        raise invalid("A canceled subscription can only update its cancellation_details "
                      "and metadata.", code="resource_missing")
    before = copy.deepcopy(sub)
    now = ctx.now(sub["customer"])
    behaviour = params.str("proration_behavior", choices=_PRORATION) or "create_prorations"
    proration_items: list[StripeObject] = []
    for entry in params.list("items"):
        item_id = entry.str("id")
        existing = None
        if item_id is not None:
            existing = next((si for si in sub["items"]["data"] if si["id"] == item_id), None)
            if existing is None:
                raise invalid(f"No such subscription item: '{item_id}'",
                              param=entry.name("id"), code="resource_missing")
        if existing is not None:
            old_price, old_qty = existing["price"], int(existing["quantity"] or 0)
            if entry.bool("deleted", False):
                if behaviour != "none":
                    credit = _prorate(ctx, sub, existing, old_price, quantity=old_qty,
                                      now=now, sign=-1)
                    proration_items += [credit] if credit else []
                sub["items"]["data"].remove(existing)
                ctx.store.remove("subscription_item", existing["id"])
                continue
            new_price = (_recurring_price(ctx, entry, sub["currency"]) if entry.has("price")
                         else old_price)
            quantity = entry.int("quantity", minimum=0)
            new_qty = old_qty if quantity is None else quantity
            if (new_price["id"], new_qty) == (old_price["id"], old_qty):
                continue
            if behaviour != "none":
                for made in (_prorate(ctx, sub, existing, old_price, quantity=old_qty, now=now,
                                      sign=-1),
                             _prorate(ctx, sub, existing, new_price, quantity=new_qty, now=now,
                                      sign=1)):
                    proration_items += [made] if made else []
            set_price(existing, new_price)
            existing["quantity"] = new_qty
            existing["metadata"] = entry.metadata(existing["metadata"])
        else:
            price = _recurring_price(ctx, entry, sub["currency"])
            quantity = entry.int("quantity", minimum=0)
            added = _new_item(ctx, sub, price, 1 if quantity is None else quantity,
                              metadata=entry.metadata(), period=billing.period_of(sub))
            sub["items"]["data"].append(added)
            if behaviour != "none":
                made = _prorate(ctx, sub, added, price, quantity=int(added["quantity"] or 0),
                                now=now, sign=1)
                proration_items += [made] if made else []
    if not sub["items"]["data"]:
        raise invalid("A subscription must have at least one item.", param="items")
    if params.has("metadata"):
        sub["metadata"] = params.metadata(sub["metadata"])
    if params.has("cancel_at_period_end"):
        sub["cancel_at_period_end"] = bool(params.bool("cancel_at_period_end"))
        sub["canceled_at"] = now if sub["cancel_at_period_end"] else None
    if params.has("cancel_at"):
        sub["cancel_at"] = params.int("cancel_at")
    if params.has("default_payment_method"):
        reference = params.str("default_payment_method")
        sub["default_payment_method"] = None if reference is None else ctx.store.get(
            "payment_method", reference, param="default_payment_method", status=400)["id"]
    if params.has("description"):
        sub["description"] = params.str("description")
    changed = {key: before[key] for key in sub if key != "items" and sub[key] != before[key]}
    if sub["items"] != before["items"]:
        changed["items"] = before["items"]
    if changed:
        ctx.emit("customer.subscription.updated", sub, changed)
    if behaviour == "always_invoice" and proration_items:
        invoice = billing.subscription_invoice(ctx, sub, "subscription_update", None,
                                               (now, now))
        invoicing.finalize(ctx, invoice)
        if invoice["status"] == "open" and invoice["collection_method"] == \
                "charge_automatically":
            billing.collect(ctx, invoice)
    return sub


def cancel(ctx: Ctx, params: Params, path: dict[str, str]) -> dict[str, Any]:
    sub = ctx.store.get("subscription", path["id"])
    if sub["status"] == "canceled":
        raise invalid("This subscription has already been canceled.",
                      code="resource_missing")
    now = ctx.now(sub["customer"])
    if params.bool("invoice_now", False):
        invoice = billing.subscription_invoice(ctx, sub, "subscription_update", None,
                                               (now, now))
        invoicing.finalize(ctx, invoice)
    sub["canceled_at"] = now
    billing.cancel(ctx, sub, at=now)
    return sub


def list_all(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    customer = params.str("customer")
    status = params.str("status")
    price = params.str("price")
    clock = params.str("test_clock")
    in_range = created_filter(params)

    def wanted(sub: StripeObject) -> bool:
        if status is None:
            if sub["status"] in ("canceled", "incomplete_expired"):
                return False
        elif status not in ("all", sub["status"]):
            return False
        return ((customer is None or sub["customer"] == customer)
                and (clock is None or sub["test_clock"] == clock)
                and (price is None
                     or any(si["price"]["id"] == price for si in sub["items"]["data"]))
                and in_range(sub))

    items = [sub for sub in ctx.store.all("subscription") if wanted(sub)]
    return list_object("/v1/subscriptions", items, params)


def search(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    matches = search_matches(params.req("query"))
    return search_object("/v1/subscriptions/search",
                         [s for s in ctx.store.all("subscription") if matches(s)], params)


def list_items(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    sub = ctx.store.get("subscription", params.req("subscription"), param="subscription",
                        status=400)
    return list_object("/v1/subscription_items", sub["items"]["data"], params)


def retrieve_item(ctx: Ctx, _: Params, path: dict[str, str]) -> dict[str, Any]:
    return ctx.store.get("subscription_item", path["id"])


def _item_change(ctx: Ctx, sub_id: str, entry: dict[str, Any], params: Params) -> StripeObject:
    """Apply one item change through :func:`update`, so prorations follow the same rules."""
    data: dict[str, Any] = {"items": [entry]}
    for key in ("proration_behavior", "proration_date"):
        if params.has(key):
            data[key] = params.raw(key)
    return update(ctx, Params(data), {"id": sub_id})


def create_item(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    sub = ctx.store.get("subscription", params.req("subscription"), param="subscription",
                        status=400)
    before = {si["id"] for si in sub["items"]["data"]}
    entry: dict[str, Any] = {"price": params.req("price")}
    if params.has("quantity"):
        entry["quantity"] = params.raw("quantity")
    if params.has("metadata"):
        entry["metadata"] = params.raw("metadata")
    updated = _item_change(ctx, sub["id"], entry, params)
    return next(si for si in updated["items"]["data"] if si["id"] not in before)


def update_item(ctx: Ctx, params: Params, path: dict[str, str]) -> dict[str, Any]:
    item = ctx.store.get("subscription_item", path["id"])
    entry: dict[str, Any] = {"id": item["id"]}
    for key in ("price", "quantity", "metadata"):
        if params.has(key):
            entry[key] = params.raw(key)
    _item_change(ctx, item["subscription"], entry, params)
    return ctx.store.get("subscription_item", path["id"])


def delete_item(ctx: Ctx, params: Params, path: dict[str, str]) -> dict[str, Any]:
    item = ctx.store.get("subscription_item", path["id"])
    _item_change(ctx, item["subscription"], {"id": item["id"], "deleted": "true"}, params)
    return {"id": item["id"], "object": "subscription_item", "deleted": True}


def register(router: Router) -> None:
    router.add("POST", "/v1/subscriptions", create,
               "customer items collection_method payment_behavior default_payment_method "
               "trial_period_days days_until_due cancel_at cancel_at_period_end default_tax_rates "
               "description metadata add_invoice_items off_session")
    router.add("GET", "/v1/subscriptions", list_all)
    router.add("GET", "/v1/subscriptions/search", search)
    router.add("GET", "/v1/subscriptions/{id}", retrieve)
    router.add("POST", "/v1/subscriptions/{id}", update,
               "items proration_behavior proration_date metadata cancel_at_period_end cancel_at "
               "default_payment_method description payment_behavior off_session")
    router.add("DELETE", "/v1/subscriptions/{id}", cancel,
               "invoice_now prorate cancellation_details")
    router.add("GET", "/v1/subscription_items", list_items)
    router.add("GET", "/v1/subscription_items/{id}", retrieve_item)
    router.add("POST", "/v1/subscription_items", create_item,
               "subscription price quantity metadata proration_behavior proration_date "
               "payment_behavior")
    router.add("POST", "/v1/subscription_items/{id}", update_item,
               "price quantity metadata proration_behavior proration_date payment_behavior")
    router.add("DELETE", "/v1/subscription_items/{id}", delete_item,
               "proration_behavior proration_date")
