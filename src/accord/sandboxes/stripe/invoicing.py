"""Invoices: lines, totals and tax, finalization, payment attempts, void, uncollectible.

Amounts are integers in the currency's minor unit, as on Stripe's wire. Line amounts from
prices with fractional ``unit_amount_decimal`` are rounded half-up to the minor unit, and tax
from tax rates is computed and rounded per line (exclusive rates only).
"""

from __future__ import annotations

import copy
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from accord.sandboxes.stripe import charging
from accord.sandboxes.stripe.context import Ctx
from accord.sandboxes.stripe.errors import StripeApiError, invalid
from accord.sandboxes.stripe.ids import new_id
from accord.sandboxes.stripe.shapes import tax_entry, wire
from accord.sandboxes.stripe.state import StripeObject

DAY = 86_400


def round_minor(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def price_amount(price: StripeObject, quantity: int | Decimal) -> int:
    """The amount for ``quantity`` units of ``price`` (per-unit, graduated or volume tiers)."""
    if price["billing_scheme"] == "tiered":
        tiers = price["tiers"] or []
        if price["tiers_mode"] == "volume":
            for tier in tiers:
                if tier["up_to"] is None or quantity <= tier["up_to"]:
                    unit = Decimal(tier["unit_amount_decimal"] or 0)
                    flat = Decimal(tier["flat_amount"] or 0)
                    return round_minor(unit * quantity + (flat if quantity else 0))
            return 0
        total = Decimal(0)
        lower = 0
        for tier in tiers:
            upper = tier["up_to"]
            in_tier = max(0, (quantity if upper is None else min(quantity, upper)) - lower)
            if in_tier:
                total += Decimal(tier["unit_amount_decimal"] or 0) * in_tier
                total += Decimal(tier["flat_amount"] or 0)
            if upper is None or quantity <= upper:
                break
            lower = upper
        return round_minor(total)
    return round_minor(Decimal(price["unit_amount_decimal"] or 0) * quantity)


def rate_objects(ctx: Ctx, rate_ids: list[str], *, param: str) -> list[StripeObject]:
    """The tax rate objects for ``rate_ids`` (Stripe embeds them whole), or 400 naming
    ``param``."""
    return [copy.deepcopy(ctx.store.get("tax_rate", rate_id, param=param, status=400))
            for rate_id in rate_ids]


def ids_of(objects: list[StripeObject]) -> list[str]:
    return [str(obj["id"]) for obj in objects]


def tax_percentage(ctx: Ctx, rate_id: str) -> Decimal:
    """A tax rate's exact percentage (the wire carries it as a float)."""
    exact = ctx.store.note(rate_id).get("percentage")
    if exact is None:
        exact = repr(ctx.store.get("tax_rate", rate_id)["percentage"])
    return Decimal(exact)


def customer_copies(customer: StripeObject) -> dict[str, Any]:
    """What an invoice copies from its customer (kept current while it is a draft, frozen at
    finalization, as on Stripe)."""
    settings = customer["invoice_settings"] or {}
    return {
        "customer_address": copy.deepcopy(customer["address"]),
        "customer_email": customer["email"],
        "customer_name": customer["name"],
        "customer_phone": customer["phone"],
        "customer_tax_exempt": customer["tax_exempt"],
        "footer": settings.get("footer"),
    }


def new_invoice(ctx: Ctx, customer: StripeObject, *, currency: str,
                subscription: StripeObject | None = None, billing_reason: str = "manual",
                collection_method: str = "charge_automatically",
                days_until_due: int | None = None, period: tuple[int, int] | None = None,
                metadata: dict[str, str] | None = None, description: str | None = None,
                default_tax_rates: list[str] | None = None, auto_advance: bool | None = None,
                default_payment_method: str | None = None) -> StripeObject:
    now = ctx.now(customer["id"])
    parent = None
    if subscription is not None:
        parent = {"quote_details": None, "type": "subscription_details",
                  "subscription_details": {"metadata": dict(subscription["metadata"]),
                                           "subscription": subscription["id"],
                                           "subscription_proration_date": None}}
    invoice_id = new_id("in")
    invoice = wire("invoice", {
        "id": invoice_id,
        "account_country": "US",
        "account_name": "accord sandbox",
        "amount_due": 0,
        "amount_overpaid": 0,
        "amount_paid": 0,
        "amount_remaining": 0,
        "amount_shipping": 0,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": (collection_method == "charge_automatically" or subscription is not None)
        if auto_advance is None else auto_advance,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None,
                          "provider": None, "status": None},
        "billing_reason": billing_reason,
        "collection_method": collection_method,
        "confirmation_secret": None,
        "created": now,
        "currency": currency,
        "customer": customer["id"],
        **customer_copies(customer),
        "customer_tax_ids": [],
        "default_payment_method": default_payment_method,
        "default_tax_rates": rate_objects(ctx, list(default_tax_rates or []),
                                          param="default_tax_rates"),
        "description": description,
        "discounts": [],
        "due_date": None,
        "effective_at": None,
        "ending_balance": None,
        "hosted_invoice_url": None,
        "invoice_pdf": None,
        "issuer": {"account": None, "type": "self"},
        "lines": {"object": "list", "data": [], "has_more": False,
                  "url": f"/v1/invoices/{invoice_id}/lines"},
        "livemode": False,
        "metadata": dict(metadata or {}),
        "next_payment_attempt": None,
        "number": None,
        "parent": parent,
        "payment_settings": {"default_mandate": None, "payment_method_options": None,
                             "payment_method_types": None},
        "payments": {"object": "list", "data": [], "has_more": False,
                     "url": f"/v1/invoice_payments?invoice={invoice_id}"},
        "period_end": period[1] if period else now,
        "period_start": period[0] if period else now,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "starting_balance": 0,
        "status": "draft",
        "status_transitions": {"finalized_at": None, "marked_uncollectible_at": None,
                               "paid_at": None, "voided_at": None},
        "subtotal": 0,
        "subtotal_excluding_tax": 0,
        "test_clock": customer["test_clock"],
        "total": 0,
        "total_discount_amounts": [],
        "total_excluding_tax": 0,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
    })
    if collection_method == "send_invoice":
        ctx.store.note(invoice_id)["days_until_due"] = (
            days_until_due if days_until_due is not None else 30)
    ctx.store.insert(invoice)
    ctx.emit("invoice.created", invoice)
    return invoice


def line_for(ctx: Ctx, invoice: StripeObject, *, amount: int, description: str | None,
             quantity: int, price: StripeObject | None, period: tuple[int, int],
             proration: bool, invoice_item: str | None = None, subscription: str | None = None,
             subscription_item: str | None = None, tax_rates: list[str] | None = None,
             metadata: dict[str, str] | None = None) -> StripeObject:
    if subscription_item is not None:
        parent: dict[str, Any] = {
            "type": "subscription_item_details", "invoice_item_details": None,
            "subscription_item_details": {"invoice_item": invoice_item, "proration": proration,
                                          "proration_details": {"credited_items": None},
                                          "subscription": subscription,
                                          "subscription_item": subscription_item}}
    else:
        parent = {"type": "invoice_item_details", "subscription_item_details": None,
                  "invoice_item_details": {"invoice_item": invoice_item, "proration": proration,
                                           "proration_details": {"credited_items": None},
                                           "subscription": subscription}}
    line = wire("line_item", {
        "id": new_id("il"),
        "amount": amount,
        "currency": invoice["currency"],
        "description": description,
        "discount_amounts": [],
        "discountable": True,
        "discounts": [],
        "invoice": invoice["id"],
        "livemode": False,
        "metadata": dict(metadata or {}),
        "parent": parent,
        "period": {"end": period[1], "start": period[0]},
        "pretax_credit_amounts": [],
        "pricing": None if price is None else {
            "price_details": {"price": price["id"], "product": price["product"]},
            "type": "price_details",
            "unit_amount_decimal": price["unit_amount_decimal"]},
        "quantity": quantity,
        "quantity_decimal": str(quantity),
        "subscription": subscription,
        "subtotal": amount,
        "taxes": [],
    })
    if tax_rates:
        # a line's own tax rates are not on the wire; its ``taxes`` show what they charged
        ctx.store.note(line["id"])["tax_rates"] = list(tax_rates)
    return line


def add_line(ctx: Ctx, invoice: StripeObject, line: StripeObject) -> None:
    if invoice["status"] != "draft":
        raise invalid("You can only add lines to a draft invoice.", param="invoice")
    invoice["lines"]["data"].append(line)
    refresh(ctx, invoice)


def _line_taxes(ctx: Ctx, line: StripeObject, amounts: list[dict[str, Any]] | None,
                rate_ids: list[str]) -> list[dict[str, Any]]:
    """A line's taxes: the amounts an external engine set on it (as given), else what its
    tax rates (or the invoice's default rates) charge on its amount."""
    if amounts:
        return [tax_entry(amount=entry["amount"], rate_id=entry["rate_id"],
                          taxable=entry["taxable_amount"], reason=entry["reason"])
                for entry in amounts]
    return [tax_entry(amount=round_minor(Decimal(int(line["amount"]))
                                         * tax_percentage(ctx, rate_id) / 100),
                      rate_id=rate_id, taxable=int(line["amount"])) for rate_id in rate_ids]


def refresh(ctx: Ctx, invoice: StripeObject) -> None:
    """Recompute line taxes and the invoice totals."""
    subtotal = 0
    tax_by_rate: dict[str, list[int]] = {}
    default_rates = ids_of(invoice["default_tax_rates"])
    for line in invoice["lines"]["data"]:
        subtotal += int(line["amount"])
        line["subtotal"] = int(line["amount"])
        note = ctx.store.note(line["id"])
        line["taxes"] = _line_taxes(ctx, line, note.get("tax_amounts"),
                                    note.get("tax_rates") or default_rates)
        for tax in line["taxes"]:
            sums = tax_by_rate.setdefault(tax["tax_rate_details"]["tax_rate"], [0, 0])
            sums[0] += int(tax["amount"])
            sums[1] += int(tax["taxable_amount"])
    total_tax = sum(amount for amount, _ in tax_by_rate.values())
    invoice["subtotal"] = invoice["subtotal_excluding_tax"] = subtotal
    invoice["total_excluding_tax"] = subtotal
    invoice["total_taxes"] = [tax_entry(amount=amount, rate_id=rate_id, taxable=taxable)
                              for rate_id, (amount, taxable) in tax_by_rate.items()]
    invoice["total"] = subtotal + total_tax
    applied_credit = (0 if invoice["ending_balance"] is None
                      else int(invoice["ending_balance"]) - int(invoice["starting_balance"]))
    due = max(0, invoice["total"] - invoice["pre_payment_credit_notes_amount"] - applied_credit)
    invoice["amount_due"] = due
    invoice["amount_remaining"] = max(0, due - invoice["amount_paid"])


def _payment_entry(ctx: Ctx, invoice: StripeObject, intent: StripeObject) -> StripeObject:
    entry = wire("invoice_payment", {
        "id": new_id("inpay"),
        "amount_paid": None,
        "amount_requested": intent["amount"],
        "created": intent["created"],
        "currency": intent["currency"],
        "invoice": invoice["id"],
        "is_default": True,
        "livemode": False,
        # a type-keyed object: Stripe sends only the member ``type`` names
        "payment": {"payment_intent": intent["id"], "type": "payment_intent"},
        "status": "open",
        "status_transitions": {"canceled_at": None, "paid_at": None},
    })
    invoice["payments"]["data"].insert(0, entry)
    return entry


def _open_intent(invoice: StripeObject) -> str | None:
    for entry in invoice["payments"]["data"]:
        if entry["status"] == "open" and entry["payment"]["type"] == "payment_intent":
            return str(entry["payment"]["payment_intent"])
    return None


def finalize(ctx: Ctx, invoice: StripeObject) -> StripeObject:
    if invoice["status"] != "draft":
        raise invalid("This invoice is already finalized, you can't re-finalize a "
                      "non-draft invoice.", code="invoice_not_editable")
    customer = ctx.store.get("customer", invoice["customer"])
    now = ctx.now(customer["id"])
    refresh(ctx, invoice)
    # a credit balance on the customer (negative ``balance``) is applied first
    balance = int(customer["balance"])
    invoice["starting_balance"] = balance
    applied = min(-balance, invoice["amount_due"]) if balance < 0 else 0
    customer["balance"] = balance + applied
    invoice["ending_balance"] = customer["balance"]
    refresh(ctx, invoice)
    sequence = int(customer["next_invoice_sequence"])
    customer["next_invoice_sequence"] = sequence + 1
    invoice["number"] = f"{customer['invoice_prefix']}-{sequence:04d}"
    invoice.update(customer_copies(customer))
    customer["currency"] = customer["currency"] or invoice["currency"]
    invoice["status"] = "open"
    invoice["effective_at"] = now
    invoice["status_transitions"]["finalized_at"] = now
    invoice["hosted_invoice_url"] = f"https://invoice.stripe.com/i/{invoice['id']}"
    invoice["invoice_pdf"] = f"https://pay.stripe.com/invoice/{invoice['id']}/pdf"
    if invoice["collection_method"] == "send_invoice":
        days = ctx.store.note(invoice["id"]).get("days_until_due")
        invoice["due_date"] = now + int(30 if days is None else days) * DAY
    ctx.emit("invoice.finalized", invoice)
    if invoice["amount_due"] == 0:
        _mark_paid(ctx, invoice, now)
    elif invoice["collection_method"] == "charge_automatically":
        intent = charging.new_intent(ctx, amount=invoice["amount_due"],
                                     currency=invoice["currency"], customer=customer["id"],
                                     payment_method=None,
                                     description=f"Invoice {invoice['number']}",
                                     metadata={})
        _payment_entry(ctx, invoice, intent)
        invoice["confirmation_secret"] = {"client_secret": intent["client_secret"],
                                          "type": "payment_intent"}
        # Stripe charges a standalone auto-advancing invoice about an hour after it is
        # finalized; subscription invoices are collected by the billing cycle itself
        manual = invoice["billing_reason"] == "manual"
        invoice["next_payment_attempt"] = (now + 3600 if invoice["auto_advance"] and manual
                                           else None)
    return invoice


def _mark_paid(ctx: Ctx, invoice: StripeObject, now: int) -> None:
    invoice["amount_paid"] = invoice["amount_due"]
    invoice["amount_remaining"] = 0
    invoice["status"] = "paid"
    invoice["next_payment_attempt"] = None
    invoice["status_transitions"]["paid_at"] = now
    ctx.emit("invoice.paid", invoice)
    ctx.emit("invoice.payment_succeeded", invoice)


def default_payment_method(ctx: Ctx, invoice: StripeObject) -> str | None:
    if invoice["default_payment_method"]:
        return str(invoice["default_payment_method"])
    parent = invoice["parent"]
    if parent and parent["subscription_details"]:
        sub = ctx.store.find("subscription", parent["subscription_details"]["subscription"])
        if sub and sub.get("default_payment_method"):
            return str(sub["default_payment_method"])
    customer = ctx.store.get("customer", invoice["customer"])
    method = customer["invoice_settings"]["default_payment_method"]
    return str(method) if method else None


def attempt_payment(ctx: Ctx, invoice: StripeObject, payment_method: str | None = None,
                    ) -> StripeApiError | None:
    """Charge the invoice's open PaymentIntent. Returns the card error on a decline (the
    invoice stays open with ``attempt_count`` raised), None when paid."""
    if invoice["status"] != "open":
        raise invalid(f"Invoice is already {invoice['status']}", code="invoice_not_open"
                      if invoice["status"] != "paid" else "invoice_already_paid")
    now = ctx.now(invoice["customer"])
    method = payment_method or default_payment_method(ctx, invoice)
    if method is None:
        raise invalid("This customer has no attached payment source or default payment "
                      "method. Please consider adding a default payment method.",
                      code="invoice_no_payment_method_types")
    intent_id = _open_intent(invoice)
    if intent_id is None:
        intent = charging.new_intent(ctx, amount=invoice["amount_remaining"],
                                     currency=invoice["currency"],
                                     customer=invoice["customer"], payment_method=None,
                                     description=f"Invoice {invoice['number']}", metadata={})
        _payment_entry(ctx, invoice, intent)
    else:
        intent = ctx.store.get("payment_intent", intent_id)
    invoice["attempted"] = True
    invoice["attempt_count"] = int(invoice["attempt_count"]) + 1
    try:
        charging.confirm(ctx, intent, method)
    except StripeApiError as error:
        if error.status != 402:
            raise
        ctx.emit("invoice.payment_failed", invoice)
        return error
    for entry in invoice["payments"]["data"]:
        if entry["payment"].get("payment_intent") == intent["id"]:
            entry["status"] = "paid"
            entry["amount_paid"] = intent["amount"]
            entry["status_transitions"]["paid_at"] = now
    _mark_paid(ctx, invoice, now)
    return None


def pay_out_of_band(ctx: Ctx, invoice: StripeObject) -> None:
    if invoice["status"] != "open":
        raise invalid(f"Invoice is already {invoice['status']}", code="invoice_not_open")
    _cancel_open_intent(ctx, invoice)
    _mark_paid(ctx, invoice, ctx.now(invoice["customer"]))


def _cancel_open_intent(ctx: Ctx, invoice: StripeObject) -> None:
    intent_id = _open_intent(invoice)
    if intent_id is None:
        return
    intent = ctx.store.get("payment_intent", intent_id)
    intent["status"] = "canceled"
    intent["canceled_at"] = ctx.now(invoice["customer"])
    for entry in invoice["payments"]["data"]:
        if entry["payment"].get("payment_intent") == intent_id:
            entry["status"] = "canceled"
            entry["status_transitions"]["canceled_at"] = intent["canceled_at"]
    ctx.emit("payment_intent.canceled", intent)


def void(ctx: Ctx, invoice: StripeObject) -> None:
    if invoice["status"] not in ("open", "uncollectible"):
        raise invalid(f"You can only pass in open or uncollectible invoices. This invoice is "
                      f"{invoice['status']}.", code="invoice_not_open")
    _cancel_open_intent(ctx, invoice)
    invoice["status"] = "void"
    invoice["next_payment_attempt"] = None
    invoice["status_transitions"]["voided_at"] = ctx.now(invoice["customer"])
    ctx.emit("invoice.voided", invoice)


def mark_uncollectible(ctx: Ctx, invoice: StripeObject) -> None:
    if invoice["status"] != "open":
        raise invalid(f"You can only mark open invoices as uncollectible. This invoice is "
                      f"{invoice['status']}.", code="invoice_not_open")
    invoice["status"] = "uncollectible"
    invoice["next_payment_attempt"] = None
    invoice["status_transitions"]["marked_uncollectible_at"] = ctx.now(invoice["customer"])
    ctx.emit("invoice.marked_uncollectible", invoice)


def snapshot(invoice: StripeObject) -> StripeObject:
    return copy.deepcopy(invoice)


# -- invoice items -----------------------------------------------------------------------------
def new_invoice_item(ctx: Ctx, customer: StripeObject, *, amount: int, currency: str,
                     description: str | None, quantity: int = 1,
                     price: StripeObject | None = None, period: tuple[int, int] | None = None,
                     proration: bool = False, subscription: str | None = None,
                     subscription_item: str | None = None,
                     metadata: dict[str, str] | None = None,
                     tax_rates: list[str] | None = None) -> StripeObject:
    now = ctx.now(customer["id"])
    parent = None
    if subscription is not None:
        parent = {"type": "subscription_details",
                  "subscription_details": {"subscription": subscription,
                                           "subscription_item": subscription_item}}
    start, end = period or (now, now)
    item = wire("invoiceitem", {
        "id": new_id("ii"),
        "amount": amount,
        "currency": currency,
        "customer": customer["id"],
        "date": now,
        "description": description,
        "discountable": not proration,
        "discounts": [],
        "invoice": None,
        "livemode": False,
        "metadata": dict(metadata or {}),
        "net_amount": amount,
        "parent": parent,
        "period": {"end": end, "start": start},
        "pricing": None if price is None else {
            "price_details": {"price": price["id"], "product": price["product"]},
            "type": "price_details", "unit_amount_decimal": price["unit_amount_decimal"]},
        "proration": proration,
        "proration_details": {"credited_items": None, "discount_amounts": []},
        "quantity": quantity,
        "quantity_decimal": str(quantity),
        "tax_rates": rate_objects(ctx, tax_rates or [], param="tax_rates"),
        "test_clock": customer["test_clock"],
    })
    ctx.store.insert(item)
    ctx.emit("invoiceitem.created", item)
    return item


def attach_item(ctx: Ctx, invoice: StripeObject, item: StripeObject) -> None:
    if item["currency"] != invoice["currency"]:
        raise invalid("The currency of the invoice item must match the invoice's currency.",
                      param="currency")
    item["invoice"] = invoice["id"]
    pricing = item["pricing"]
    price = None
    if pricing is not None:
        price = ctx.store.find("price", pricing["price_details"]["price"])
    subscription = None
    if item["parent"] is not None:
        subscription = item["parent"]["subscription_details"]["subscription"]
    line = line_for(ctx, invoice, amount=int(item["amount"]), description=item["description"],
                    quantity=int(item["quantity"]), price=price,
                    period=(item["period"]["start"], item["period"]["end"]),
                    proration=bool(item["proration"]), invoice_item=item["id"],
                    subscription=subscription, tax_rates=ids_of(item["tax_rates"] or []),
                    metadata=item["metadata"])
    add_line(ctx, invoice, line)


def pull_pending_items(ctx: Ctx, invoice: StripeObject,
                       subscription: str | None = None) -> None:
    """Move the customer's pending invoice items (those for ``subscription``, or for no
    subscription) onto the draft ``invoice``."""
    pending = [item for item in ctx.store.all("invoiceitem")
               if item["customer"] == invoice["customer"] and item["invoice"] is None
               and item["currency"] == invoice["currency"]]
    for item in reversed(pending):  # oldest first
        owner = (item["parent"] or {}).get("subscription_details", {}).get("subscription")
        if owner is None or owner == subscription:
            attach_item(ctx, invoice, item)
