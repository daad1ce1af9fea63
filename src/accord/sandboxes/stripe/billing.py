"""Subscriptions over time: billing periods, renewals, prorations, cancellation and dunning.

:func:`advance` is the engine behind test clocks (and the sandbox clock): it replays, in time
order, every renewal and every scheduled payment retry due up to an instant, so a subscription
moved forward by a month gets exactly the invoices and payments Stripe would have made.
Renewal invoices are finalized and charged at the period boundary. A declined renewal payment is
retried on the dunning schedule (``dunning_schedule_days`` after each failed attempt, like
Stripe's custom retry schedule); when the last retry fails the subscription takes
``dunning_final_action`` (``canceled`` by default).
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from accord.sandboxes.stripe import invoicing
from accord.sandboxes.stripe.context import Ctx
from accord.sandboxes.stripe.errors import StripeApiError
from accord.sandboxes.stripe.invoicing import DAY
from accord.sandboxes.stripe.resources import meters
from accord.sandboxes.stripe.state import StripeObject

LIVE = ("active", "trialing", "past_due", "unpaid")


def add_interval(start: int, interval: str, count: int, anchor: int) -> int:
    """``start`` moved forward by ``count`` intervals; months keep the anchor's day of month
    (clamped to the month's length), as Stripe's billing cycle does."""
    moment = datetime.fromtimestamp(start, UTC)
    if interval == "day":
        return int((moment + timedelta(days=count)).timestamp())
    if interval == "week":
        return int((moment + timedelta(weeks=count)).timestamp())
    months = count * (12 if interval == "year" else 1)
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    anchor_day = datetime.fromtimestamp(anchor, UTC).day
    day = min(anchor_day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


def period_of(sub: StripeObject) -> tuple[int, int]:
    item = sub["items"]["data"][0]
    return int(item["current_period_start"]), int(item["current_period_end"])


def recurring_of(sub: StripeObject) -> dict[str, Any]:
    recurring: dict[str, Any] = sub["items"]["data"][0]["price"]["recurring"]
    return recurring


def next_period_end(sub: StripeObject, start: int) -> int:
    recurring = recurring_of(sub)
    return add_interval(start, recurring["interval"], int(recurring["interval_count"]),
                        int(sub["billing_cycle_anchor"]))


def item_line(ctx: Ctx, invoice: StripeObject, sub: StripeObject, item: StripeObject,
              period: tuple[int, int], *, usage_period: tuple[int, int] | None = None,
              ) -> StripeObject:
    """The invoice line for one item: licensed items for ``period`` (in advance), metered
    items for the usage reported over ``usage_period`` (in arrears; none at creation)."""
    price = item["price"]
    metered = price["recurring"] and price["recurring"]["usage_type"] == "metered"
    if metered:
        used = Decimal(0)
        meter_id = price["recurring"].get("meter")
        if usage_period is not None and meter_id:
            used = meters.usage(ctx, meter_id, sub["customer"], *usage_period)
            period = usage_period
        amount = invoicing.price_amount(price, used)
        quantity = int(used) if used == used.to_integral() else 1
    else:
        quantity = int(item.get("quantity") or 0)
        amount = invoicing.price_amount(price, quantity)
    product = ctx.store.find("product", price["product"])
    name = product["name"] if product else price["product"]
    return invoicing.line_for(ctx, invoice, amount=amount, description=f"{quantity} x {name}",
                              quantity=quantity, price=price, period=period, proration=False,
                              subscription=sub["id"], subscription_item=item["id"],
                              tax_rates=invoicing.ids_of(item["tax_rates"] or []) or None)


def subscription_invoice(ctx: Ctx, sub: StripeObject, reason: str,
                         line_period: tuple[int, int] | None,
                         invoice_period: tuple[int, int], *,
                         usage_period: tuple[int, int] | None = None) -> StripeObject:
    customer = ctx.store.get("customer", sub["customer"])
    invoice = invoicing.new_invoice(
        ctx, customer, currency=sub["currency"], subscription=sub, billing_reason=reason,
        collection_method=sub["collection_method"], days_until_due=sub["days_until_due"],
        period=invoice_period,
        default_tax_rates=invoicing.ids_of(sub["default_tax_rates"] or []),
        default_payment_method=sub["default_payment_method"])
    if line_period is not None:
        for item in sub["items"]["data"]:
            invoicing.add_line(ctx, invoice, item_line(ctx, invoice, sub, item, line_period,
                                                       usage_period=usage_period))
    invoicing.pull_pending_items(ctx, invoice, sub["id"])
    sub["latest_invoice"] = invoice["id"]
    return invoice


def set_status(ctx: Ctx, sub: StripeObject, status: str) -> None:
    if sub["status"] == status:
        return
    old = sub["status"]
    sub["status"] = status
    ctx.emit("customer.subscription.updated", sub, {"status": old})


def cancel(ctx: Ctx, sub: StripeObject, *, at: int, reason: str = "cancellation_requested",
           ) -> None:
    sub["status"] = "canceled"
    sub["canceled_at"] = sub["canceled_at"] or at
    sub["ended_at"] = at
    sub["cancellation_details"]["reason"] = reason
    for invoice in ctx.store.all("invoice"):
        parent = invoice["parent"]
        if (invoice["status"] == "open" and parent
                and parent["subscription_details"]["subscription"] == sub["id"]):
            invoice["next_payment_attempt"] = None
    ctx.emit("customer.subscription.deleted", sub)


def after_failed_attempt(ctx: Ctx, invoice: StripeObject) -> None:
    """Schedule the next retry of an automatically collected invoice, or give up."""
    now = ctx.now(invoice["customer"])
    schedule = ctx.settings.dunning_schedule_days
    attempts = int(invoice["attempt_count"])
    sub = _subscription_of(ctx, invoice)
    if attempts <= len(schedule):
        invoice["next_payment_attempt"] = now + schedule[attempts - 1] * DAY
        if sub is not None and sub["status"] in ("active", "trialing"):
            set_status(ctx, sub, "past_due")
        return
    invoice["next_payment_attempt"] = None
    if sub is None:
        return
    final = ctx.settings.dunning_final_action
    if final == "canceled":
        cancel(ctx, sub, at=now, reason="payment_failed")
    else:
        set_status(ctx, sub, final)


def _subscription_of(ctx: Ctx, invoice: StripeObject) -> StripeObject | None:
    parent = invoice["parent"]
    if not parent or not parent.get("subscription_details"):
        return None
    return ctx.store.find("subscription", parent["subscription_details"]["subscription"])


def collect(ctx: Ctx, invoice: StripeObject) -> StripeApiError | None:
    """One automatic collection attempt on an open invoice, with dunning on a decline."""
    try:
        error = invoicing.attempt_payment(ctx, invoice)
    except StripeApiError as refused:  # e.g. no payment method at all
        invoice["attempted"] = True
        invoice["attempt_count"] = int(invoice["attempt_count"]) + 1
        ctx.emit("invoice.payment_failed", invoice)
        error = refused
    sub = _subscription_of(ctx, invoice)
    if error is None:
        if sub is not None and sub["status"] in ("past_due", "unpaid", "incomplete"):
            set_status(ctx, sub, "active")
        return None
    after_failed_attempt(ctx, invoice)
    return error


def renew(ctx: Ctx, sub: StripeObject) -> None:
    """Close the current period at its end: cancel if asked to, else start the next period,
    invoice it, and collect."""
    start, end = period_of(sub)
    cancel_at = sub.get("cancel_at")
    if sub["cancel_at_period_end"] or (cancel_at is not None and cancel_at <= end):
        cancel(ctx, sub, at=end)
        return
    new_end = next_period_end(sub, end)
    for item in sub["items"]["data"]:
        item["current_period_start"] = end
        item["current_period_end"] = new_end
    if sub["status"] == "trialing":
        set_status(ctx, sub, "active")
    invoice = subscription_invoice(ctx, sub, "subscription_cycle", (end, new_end), (start, end),
                                   usage_period=(start, end))
    invoicing.finalize(ctx, invoice)
    ctx.emit("customer.subscription.updated", sub,
             {"items": {"data": [{"current_period_start": start, "current_period_end": end}]}})
    if invoice["status"] == "open" and invoice["collection_method"] == "charge_automatically":
        collect(ctx, invoice)


def _clock_of(ctx: Ctx, customer_id: str) -> str | None:
    customer = ctx.store.find("customer", customer_id)
    return customer.get("test_clock") if customer else None


def due_work(ctx: Ctx, until: int, clock_id: str | None) -> tuple[int, str, StripeObject] | None:
    """The earliest renewal or payment retry due at or before ``until``."""
    best: tuple[int, str, StripeObject] | None = None
    for sub in ctx.store.all("subscription"):
        if sub["status"] not in LIVE or _clock_of(ctx, sub["customer"]) != clock_id:
            continue
        end = period_of(sub)[1]
        if end <= until and (best is None or end < best[0]):
            best = (end, "renew", sub)
    for invoice in ctx.store.all("invoice"):
        when = invoice["next_payment_attempt"]
        if (invoice["status"] != "open" or when is None or when > until
                or invoice["collection_method"] != "charge_automatically"
                or _clock_of(ctx, invoice["customer"]) != clock_id):
            continue
        if best is None or when < best[0]:
            best = (int(when), "collect", invoice)
    return best


def advance(ctx: Ctx, until: int, clock_id: str | None, *, max_steps: int = 10_000) -> int:
    """Run every renewal and retry due up to ``until``, in time order; return the count."""
    steps = 0
    while steps < max_steps:
        work = due_work(ctx, until, clock_id)
        if work is None:
            break
        when, kind, obj = work
        at = ctx.at_time(when)
        if kind == "renew":
            renew(at, obj)
        else:
            collect(at, obj)
        steps += 1
    return steps
