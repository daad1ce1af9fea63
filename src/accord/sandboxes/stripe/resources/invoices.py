"""Invoice items and invoices (draft, finalize, pay, void, mark uncollectible, lines)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from accord.sandboxes.stripe import billing, invoicing
from accord.sandboxes.stripe.context import Ctx
from accord.sandboxes.stripe.errors import invalid, missing_param, no_such
from accord.sandboxes.stripe.listing import (
    created_filter,
    list_object,
    search_matches,
    search_object,
)
from accord.sandboxes.stripe.params import Params
from accord.sandboxes.stripe.resources.common import currency, deleted, previous
from accord.sandboxes.stripe.routing import Router
from accord.sandboxes.stripe.state import StripeObject

_COLLECTION = ("charge_automatically", "send_invoice")


# -- invoice items -----------------------------------------------------------------------------
def create_item(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    customer = ctx.store.get("customer", params.req("customer"), param="customer", status=400)
    quantity = params.int("quantity", minimum=0)
    price = None
    pricing = params.sub("pricing")
    price_ref = params.str("price") or (pricing.str("price") if pricing else None)
    if price_ref is not None:
        price = ctx.store.get("price", price_ref, param="pricing[price]", status=400)
        item_currency = price["currency"]
        amount = invoicing.price_amount(price, quantity or 1)
    else:
        item_currency = currency(params)
        assert item_currency is not None
        unit = params.int("unit_amount")
        unit_decimal = params.decimal("unit_amount_decimal")
        if params.has("amount"):
            amount_given = params.int("amount")
            assert amount_given is not None
            amount = amount_given
        elif unit is not None or unit_decimal is not None:
            amount = invoicing.round_minor(
                (unit_decimal if unit_decimal is not None else Decimal(unit or 0))
                * (quantity or 1))
        else:
            raise missing_param("amount")
    period = params.sub("period")
    span = None
    if period is not None:
        span = (period.req_int("start"), period.req_int("end"))
    invoice_id = params.str("invoice")
    subscription = params.str("subscription")
    item = invoicing.new_invoice_item(
        ctx, customer, amount=amount, currency=item_currency,
        description=params.str("description"), quantity=quantity or 1, price=price,
        period=span, subscription=subscription, metadata=params.metadata(),
        tax_rates=params.strings("tax_rates"))
    if invoice_id is not None:
        invoice = ctx.store.get("invoice", invoice_id, param="invoice", status=400)
        if invoice["status"] != "draft":
            raise invalid("You can only add invoice items to draft invoices.", param="invoice")
        invoicing.attach_item(ctx, invoice, item)
    return item


def retrieve_item(ctx: Ctx, _: Params, path: dict[str, str]) -> dict[str, Any]:
    return ctx.store.get("invoiceitem", path["id"])


def update_item(ctx: Ctx, params: Params, path: dict[str, str]) -> dict[str, Any]:
    item = ctx.store.get("invoiceitem", path["id"])
    if item["invoice"] is not None:
        invoice = ctx.store.get("invoice", item["invoice"])
        if invoice["status"] != "draft":
            raise invalid("This invoice item is on a finalized invoice and can no longer be "
                          "updated.", code="invoice_not_editable")
    changes: dict[str, Any] = {}
    if params.has("description"):
        changes["description"] = params.str("description")
    if params.has("metadata"):
        changes["metadata"] = params.metadata(item["metadata"])
    if params.has("amount"):
        changes["amount"] = changes["net_amount"] = params.int("amount")
    item.update(changes)  # Stripe records no event for an invoice item's update
    if item["invoice"] is not None:
        invoice = ctx.store.get("invoice", item["invoice"])
        for line in invoice["lines"]["data"]:
            details = line["parent"].get("invoice_item_details") or {}
            if details.get("invoice_item") == item["id"]:
                line["amount"] = item["amount"]
                line["description"] = item["description"]
        invoicing.refresh(ctx, invoice)
    return item


def delete_item(ctx: Ctx, _: Params, path: dict[str, str]) -> dict[str, Any]:
    item = ctx.store.get("invoiceitem", path["id"])
    if item["invoice"] is not None:
        invoice = ctx.store.get("invoice", item["invoice"])
        if invoice["status"] != "draft":
            raise invalid("This invoice item is on a finalized invoice and cannot be deleted.",
                          code="invoice_not_editable")
        invoice["lines"]["data"] = [
            line for line in invoice["lines"]["data"]
            if (line["parent"].get("invoice_item_details") or {}).get("invoice_item")
            != item["id"]]
        invoicing.refresh(ctx, invoice)
    item["deleted"] = True
    ctx.emit("invoiceitem.deleted", item)
    return deleted("invoiceitem", item["id"])


def list_items(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    customer = params.str("customer")
    invoice = params.str("invoice")
    pending = params.bool("pending")
    items = [ii for ii in ctx.store.all("invoiceitem")
             if (customer is None or ii["customer"] == customer)
             and (invoice is None or ii["invoice"] == invoice)
             and (pending is None or (ii["invoice"] is None) == pending)]
    return list_object("/v1/invoiceitems", items, params)


# -- invoices ----------------------------------------------------------------------------------
def create_invoice(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    customer = ctx.store.get("customer", params.req("customer"), param="customer", status=400)
    subscription = None
    if params.str("subscription") is not None:
        subscription = ctx.store.get("subscription", params.req("subscription"),
                                     param="subscription", status=400)
    method = params.str("collection_method", choices=_COLLECTION) or "charge_automatically"
    days = params.int("days_until_due", minimum=0)
    if method == "charge_automatically" and days is not None:
        raise invalid("days_until_due can only be set when collection_method is "
                      "send_invoice.", param="days_until_due")
    inv_currency = currency(params, required=False) or (
        subscription["currency"] if subscription else None) or customer["currency"] or "usd"
    invoice = invoicing.new_invoice(
        ctx, customer, currency=inv_currency, subscription=subscription,
        collection_method=method, days_until_due=days, metadata=params.metadata(),
        description=params.str("description"),
        default_tax_rates=params.strings("default_tax_rates"),
        auto_advance=params.bool("auto_advance"),
        default_payment_method=params.str("default_payment_method"))
    behavior = params.str("pending_invoice_items_behavior", choices=("exclude", "include"))
    if behavior == "include":
        invoicing.pull_pending_items(ctx, invoice, subscription["id"] if subscription else None)
    if params.has("due_date"):
        invoice["due_date"] = params.int("due_date")
    return invoice


def retrieve_invoice(ctx: Ctx, _: Params, path: dict[str, str]) -> dict[str, Any]:
    return ctx.store.get("invoice", path["id"])


def update_invoice(ctx: Ctx, params: Params, path: dict[str, str]) -> dict[str, Any]:
    invoice = ctx.store.get("invoice", path["id"])
    changes: dict[str, Any] = {}
    if params.has("metadata"):
        changes["metadata"] = params.metadata(invoice["metadata"])
    editable = ("description", "auto_advance", "days_until_due", "default_tax_rates",
                "collection_method", "due_date", "default_payment_method")
    for key in editable:
        if not params.has(key):
            continue
        if invoice["status"] != "draft" and key != "auto_advance":
            raise invalid(f"Finalized invoices can't be updated in this way ({key}).",
                          param=key, code="invoice_not_editable")
        if key == "auto_advance":
            changes[key] = params.bool(key)
        elif key == "days_until_due":
            # not a field of the invoice: it sets the due date at finalization
            ctx.store.note(invoice["id"])[key] = params.int(key)
        elif key == "due_date":
            changes[key] = params.int(key)
        elif key == "default_tax_rates":
            changes[key] = invoicing.rate_objects(ctx, params.strings(key), param=key)
        elif key == "collection_method":
            changes[key] = params.str(key, choices=_COLLECTION)
        else:
            changes[key] = params.str(key)
    old = previous(invoice, changes)
    invoice.update(changes)
    if invoice["status"] == "draft":
        invoicing.refresh(ctx, invoice)
    if old:
        ctx.emit("invoice.updated", invoice, old)
    return invoice


def delete_invoice(ctx: Ctx, _: Params, path: dict[str, str]) -> dict[str, Any]:
    invoice = ctx.store.get("invoice", path["id"])
    if invoice["status"] != "draft":
        raise invalid("You can only delete draft invoices.", code="invoice_not_editable")
    for item in ctx.store.all("invoiceitem"):
        if item["invoice"] == invoice["id"]:
            item["invoice"] = None
    invoice["deleted"] = True
    ctx.emit("invoice.deleted", invoice)
    return deleted("invoice", invoice["id"])


def _subscription_of(invoice: StripeObject) -> str | None:
    parent = invoice["parent"]
    return parent["subscription_details"]["subscription"] if parent else None


def list_invoices(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    customer = params.str("customer")
    status = params.str("status",
                        choices=("draft", "open", "paid", "uncollectible", "void"))
    subscription = params.str("subscription")
    method = params.str("collection_method", choices=_COLLECTION)
    in_range = created_filter(params)
    items = [inv for inv in ctx.store.all("invoice")
             if (customer is None or inv["customer"] == customer)
             and (status is None or inv["status"] == status)
             and (subscription is None or _subscription_of(inv) == subscription)
             and (method is None or inv["collection_method"] == method) and in_range(inv)]
    return list_object("/v1/invoices", items, params)


def search_invoices(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    matches = search_matches(params.req("query"))
    return search_object("/v1/invoices/search",
                         [inv for inv in ctx.store.all("invoice") if matches(inv)], params)


def finalize(ctx: Ctx, params: Params, path: dict[str, str]) -> dict[str, Any]:
    invoice = ctx.store.get("invoice", path["id"])
    if params.has("auto_advance"):
        invoice["auto_advance"] = params.bool("auto_advance")
    return invoicing.finalize(ctx, invoice)


def pay(ctx: Ctx, params: Params, path: dict[str, str]) -> dict[str, Any]:
    invoice = ctx.store.get("invoice", path["id"])
    if invoice["status"] == "draft":
        invoicing.finalize(ctx, invoice)
        if invoice["status"] == "paid":
            return invoice
    if params.bool("paid_out_of_band", False):
        invoicing.pay_out_of_band(ctx, invoice)
        return invoice
    error = invoicing.attempt_payment(ctx, invoice, params.str("payment_method"))
    if error is not None:
        if invoice["auto_advance"] and invoice["collection_method"] == "charge_automatically" \
                and invoice["billing_reason"] != "subscription_create":
            billing.after_failed_attempt(ctx, invoice)
        raise error
    sub_id = _subscription_of(invoice)
    sub = ctx.store.find("subscription", sub_id) if sub_id else None
    if sub is not None and sub["status"] in ("past_due", "unpaid", "incomplete"):
        billing.set_status(ctx, sub, "active")
    return invoice


def void(ctx: Ctx, _: Params, path: dict[str, str]) -> dict[str, Any]:
    invoice = ctx.store.get("invoice", path["id"])
    invoicing.void(ctx, invoice)
    return invoice


def mark_uncollectible(ctx: Ctx, _: Params, path: dict[str, str]) -> dict[str, Any]:
    invoice = ctx.store.get("invoice", path["id"])
    invoicing.mark_uncollectible(ctx, invoice)
    return invoice


def send(ctx: Ctx, _: Params, path: dict[str, str]) -> dict[str, Any]:
    invoice = ctx.store.get("invoice", path["id"])
    if invoice["collection_method"] != "send_invoice" or invoice["status"] != "open":
        raise invalid("You can only manually send an open invoice with collection_method "
                      "send_invoice.", code="invoice_not_open")
    ctx.emit("invoice.sent", invoice)
    return invoice


def lines(ctx: Ctx, params: Params, path: dict[str, str]) -> dict[str, Any]:
    invoice = ctx.store.get("invoice", path["id"])
    return list_object(f"/v1/invoices/{invoice['id']}/lines", invoice["lines"]["data"],
                       params)


def _invoice_payments(ctx: Ctx) -> list[StripeObject]:
    entries = [entry for invoice in ctx.store.all("invoice")
               for entry in invoice["payments"]["data"]]
    return sorted(entries, key=lambda entry: (entry["created"], entry["id"]), reverse=True)


def list_invoice_payments(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    invoice = params.str("invoice")
    status = params.str("status", choices=("canceled", "open", "paid"))
    items = [entry for entry in _invoice_payments(ctx)
             if (invoice is None or entry["invoice"] == invoice)
             and (status is None or entry["status"] == status)]
    return list_object("/v1/invoice_payments", items, params)


def retrieve_invoice_payment(ctx: Ctx, _: Params, path: dict[str, str]) -> dict[str, Any]:
    for entry in _invoice_payments(ctx):
        if entry["id"] == path["id"]:
            return entry
    raise no_such("invoice payment", path["id"])


def register(router: Router) -> None:
    router.add("POST", "/v1/invoiceitems", create_item,
               "customer quantity price pricing currency unit_amount unit_amount_decimal amount "
               "period invoice subscription metadata tax_rates description")
    router.add("GET", "/v1/invoiceitems", list_items)
    router.add("GET", "/v1/invoiceitems/{id}", retrieve_item)
    router.add("POST", "/v1/invoiceitems/{id}", update_item,
               "amount description metadata")
    router.add("DELETE", "/v1/invoiceitems/{id}", delete_item)
    router.add("POST", "/v1/invoices", create_invoice,
               "customer subscription collection_method days_until_due currency metadata "
               "description default_tax_rates auto_advance default_payment_method "
               "pending_invoice_items_behavior due_date")
    router.add("GET", "/v1/invoices", list_invoices)
    router.add("GET", "/v1/invoices/search", search_invoices)
    router.add("GET", "/v1/invoices/{id}", retrieve_invoice)
    router.add("POST", "/v1/invoices/{id}", update_invoice,
               "metadata description auto_advance days_until_due default_tax_rates "
               "collection_method due_date default_payment_method")
    router.add("DELETE", "/v1/invoices/{id}", delete_invoice)
    router.add("POST", "/v1/invoices/{id}/finalize", finalize,
               "auto_advance")
    router.add("POST", "/v1/invoices/{id}/pay", pay,
               "payment_method paid_out_of_band off_session")
    router.add("POST", "/v1/invoices/{id}/void", void,
               "")
    router.add("POST", "/v1/invoices/{id}/mark_uncollectible", mark_uncollectible,
               "")
    router.add("POST", "/v1/invoices/{id}/send", send,
               "")
    router.add("GET", "/v1/invoices/{id}/lines", lines)
    router.add("GET", "/v1/invoice_payments", list_invoice_payments)
    router.add("GET", "/v1/invoice_payments/{id}", retrieve_invoice_payment)
