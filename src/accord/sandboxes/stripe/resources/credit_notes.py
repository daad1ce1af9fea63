"""Credit notes against finalized invoices: before payment they lower what is due; after
payment they are refunded, credited to the customer's balance, or settled out of band."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from accord.sandboxes.stripe import charging, invoicing
from accord.sandboxes.stripe.context import Ctx
from accord.sandboxes.stripe.errors import invalid, missing_param
from accord.sandboxes.stripe.ids import new_id
from accord.sandboxes.stripe.listing import created_filter, list_object
from accord.sandboxes.stripe.params import Params
from accord.sandboxes.stripe.routing import Router
from accord.sandboxes.stripe.shapes import tax_entry, wire
from accord.sandboxes.stripe.state import StripeObject


def _line(ctx: Ctx, invoice: StripeObject, entry: Params) -> StripeObject:
    kind = entry.req("type", choices=("invoice_line_item", "custom_line_item"))
    quantity = entry.int("quantity", minimum=1)
    taxes: list[dict[str, Any]] = []
    rate_ids: list[str] = []
    invoice_line_id = None
    if kind == "invoice_line_item":
        invoice_line_id = entry.req("invoice_line_item")
        source = next((line for line in invoice["lines"]["data"]
                       if line["id"] == invoice_line_id), None)
        if source is None:
            raise invalid(f"No such invoice line item: '{invoice_line_id}'",
                          param=entry.name("invoice_line_item"), code="resource_missing")
        amount = entry.int("amount", minimum=0)
        if amount is None:
            line_qty = int(source["quantity"] or 1)
            qty = quantity or line_qty
            amount = invoicing.round_minor(Decimal(int(source["amount"])) * qty / line_qty)
        quantity = quantity or int(source["quantity"] or 1)
        for tax in source["taxes"]:
            rate_id = tax["tax_rate_details"]["tax_rate"]
            rate_ids.append(rate_id)
            taxes.append(tax_entry(amount=invoicing.round_minor(
                Decimal(amount) * invoicing.tax_percentage(ctx, rate_id) / 100),
                rate_id=rate_id, taxable=amount))
        description = source["description"]
        unit = invoicing.round_minor(Decimal(amount) / quantity) if quantity else amount
    else:
        unit_amount = entry.int("unit_amount", minimum=0)
        if unit_amount is None:
            raise missing_param(entry.name("unit_amount"))
        quantity = quantity or 1
        amount = unit_amount * quantity
        unit = unit_amount
        description = entry.req("description")
    return line_item(ctx, amount=amount, description=description, quantity=quantity,
                     unit=unit, kind=kind, invoice_line_item=invoice_line_id, taxes=taxes,
                     rate_ids=rate_ids, metadata=entry.metadata())


def line_item(ctx: Ctx, *, amount: int, description: str | None, quantity: int, unit: int,
              kind: str, invoice_line_item: str | None = None,
              taxes: list[dict[str, Any]] | None = None, rate_ids: list[str] | None = None,
              metadata: dict[str, str] | None = None) -> StripeObject:
    return wire("credit_note_line_item", {
        "id": new_id("cnli"),
        "amount": amount,
        "description": description,
        "discount_amount": 0,
        "discount_amounts": [],
        "invoice_line_item": invoice_line_item,
        "livemode": False,
        "metadata": dict(metadata or {}),
        "pretax_credit_amounts": [],
        "quantity": quantity,
        "tax_rates": invoicing.rate_objects(ctx, rate_ids or [], param="lines"),
        "taxes": list(taxes or []),
        "type": kind,
        "unit_amount": unit,
        "unit_amount_decimal": str(unit),
    })


def create(ctx: Ctx, params: Params, path: dict[str, str]) -> dict[str, Any]:
    with ctx.store.atomic():
        return _create(ctx, params, path)


def _create(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    invoice = ctx.store.get("invoice", params.req("invoice"), param="invoice", status=400)
    if invoice["status"] not in ("open", "paid"):
        raise invalid("You can only create a credit note for an open or paid invoice.",
                      param="invoice", code="invoice_not_editable")
    lines = [_line(ctx, invoice, entry) for entry in params.list("lines")]
    if not lines:
        amount = params.int("amount", minimum=1)
        if amount is None:
            raise missing_param("lines")
        lines = [line_item(ctx, amount=amount, description=params.str("memo") or "Credit",
                           quantity=1, unit=amount, kind="custom_line_item")]
    subtotal = sum(int(line["amount"]) for line in lines)
    tax = sum(int(t["amount"]) for line in lines for t in line["taxes"])
    total = subtotal + tax
    credited = sum(int(cn["total"]) for cn in ctx.store.all("credit_note")
                   if cn["invoice"] == invoice["id"] and cn["status"] == "issued")
    if total + credited > int(invoice["total"]):
        raise invalid("The sum of credit amounts cannot exceed the invoice total "
                      f"({invoice['total']}).", param="lines")
    now = ctx.now(invoice["customer"])
    pre_payment = invoice["status"] == "open"
    refund_amount = params.int("refund_amount", minimum=0) or 0
    credit_amount = params.int("credit_amount", minimum=0)
    out_of_band = params.int("out_of_band_amount", minimum=0) or 0
    refunds: list[dict[str, Any]] = []
    if pre_payment:
        if refund_amount or credit_amount or out_of_band:
            raise invalid("refund_amount, credit_amount and out_of_band_amount only apply to "
                          "paid invoices.", param="refund_amount")
        if total > int(invoice["amount_remaining"]):
            raise invalid("The credit note total exceeds the amount remaining on the "
                          "invoice.", param="lines")
    else:
        if credit_amount is None:
            credit_amount = total - refund_amount - out_of_band
        if refund_amount + credit_amount + out_of_band != total:
            raise invalid("refund_amount, credit_amount and out_of_band_amount must add up to "
                          "the credit note total.", param="refund_amount")
    count = sum(1 for cn in ctx.store.all("credit_note") if cn["invoice"] == invoice["id"])
    note_id = new_id("cn")
    note = wire("credit_note", {
        "id": note_id,
        "amount": total,
        "amount_shipping": 0,
        "created": now,
        "currency": invoice["currency"],
        "customer": invoice["customer"],
        "discount_amount": 0,
        "discount_amounts": [],
        "effective_at": now,
        "invoice": invoice["id"],
        "lines": {"object": "list", "data": lines, "has_more": False, "url": ""},
        "livemode": False,
        "memo": params.str("memo"),
        "metadata": params.metadata(),
        "number": f"{invoice['number']}-CN-{count + 1:02d}",
        "out_of_band_amount": out_of_band or None,
        "pdf": f"https://pay.stripe.com/credit_notes/{note_id}/pdf",
        "post_payment_amount": 0 if pre_payment else total,
        "pre_payment_amount": total if pre_payment else 0,
        "pretax_credit_amounts": [],
        "reason": params.str("reason", choices=("duplicate", "fraudulent", "order_change",
                                                "product_unsatisfactory")),
        "refunds": refunds,
        "status": "issued",
        "subtotal": subtotal,
        "subtotal_excluding_tax": subtotal,
        "total": total,
        "total_excluding_tax": subtotal,
        "total_taxes": [t for line in lines for t in line["taxes"]],
        "type": "pre_payment" if pre_payment else "post_payment",
        "voided_at": None,
    })
    note["lines"]["url"] = f"/v1/credit_notes/{note['id']}/lines"
    customer = ctx.store.get("customer", invoice["customer"])
    if pre_payment:
        invoice["pre_payment_credit_notes_amount"] += total
        invoicing.refresh(ctx, invoice)
        _sync_intent(ctx, invoice)
    else:
        invoice["post_payment_credit_notes_amount"] += total
        if refund_amount:
            charge = _paid_charge(ctx, invoice)
            refund = charging.refund(ctx, charge, refund_amount, reason=None, metadata={},
                                     param="refund_amount")
            refunds.append({"amount_refunded": refund_amount, "payment_record_refund": None,
                            "refund": refund["id"], "type": "refund"})
        if credit_amount:
            customer["balance"] = int(customer["balance"]) - credit_amount
    ctx.store.insert(note)
    ctx.emit("credit_note.created", note)
    if pre_payment and invoice["amount_remaining"] == 0:
        invoicing.pay_out_of_band(ctx, invoice)
    return note


def _sync_intent(ctx: Ctx, invoice: StripeObject) -> None:
    for entry in invoice["payments"]["data"]:
        if entry["status"] == "open":
            intent = ctx.store.get("payment_intent", entry["payment"]["payment_intent"])
            if invoice["amount_remaining"] > 0:
                intent["amount"] = entry["amount_requested"] = invoice["amount_remaining"]


def _paid_charge(ctx: Ctx, invoice: StripeObject) -> StripeObject:
    for entry in invoice["payments"]["data"]:
        if entry["status"] == "paid":
            intent = ctx.store.get("payment_intent", entry["payment"]["payment_intent"])
            if intent["latest_charge"]:
                return ctx.store.get("charge", intent["latest_charge"])
    raise invalid("This invoice was not paid with a charge that can be refunded.",
                  param="refund_amount")


def retrieve(ctx: Ctx, _: Params, path: dict[str, str]) -> dict[str, Any]:
    return ctx.store.get("credit_note", path["id"])


def void(ctx: Ctx, _: Params, path: dict[str, str]) -> dict[str, Any]:
    note = ctx.store.get("credit_note", path["id"])
    if note["status"] == "void":
        raise invalid("This credit note is already void.")
    if note["refunds"]:
        raise invalid("A credit note with refunds cannot be voided.")
    invoice = ctx.store.get("invoice", note["invoice"])
    if note["type"] == "pre_payment":
        if invoice["status"] != "open":
            raise invalid("The invoice is no longer open; this credit note cannot be voided.")
        invoice["pre_payment_credit_notes_amount"] -= note["total"]
        invoicing.refresh(ctx, invoice)
        _sync_intent(ctx, invoice)
    else:
        customer = ctx.store.get("customer", note["customer"])
        customer["balance"] = int(customer["balance"]) + (
            note["total"] - (note["out_of_band_amount"] or 0))
        invoice["post_payment_credit_notes_amount"] -= note["total"]
    note["status"] = "void"
    note["voided_at"] = ctx.now(note["customer"])
    ctx.emit("credit_note.voided", note)
    return note


def list_all(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    invoice = params.str("invoice")
    customer = params.str("customer")
    in_range = created_filter(params)
    items = [cn for cn in ctx.store.all("credit_note")
             if (invoice is None or cn["invoice"] == invoice)
             and (customer is None or cn["customer"] == customer) and in_range(cn)]
    return list_object("/v1/credit_notes", items, params)


def lines(ctx: Ctx, params: Params, path: dict[str, str]) -> dict[str, Any]:
    note = ctx.store.get("credit_note", path["id"])
    return list_object(f"/v1/credit_notes/{note['id']}/lines", note["lines"]["data"], params)


def register(router: Router) -> None:
    router.add("POST", "/v1/credit_notes", create,
               "invoice lines amount memo refund_amount credit_amount out_of_band_amount reason "
               "metadata")
    router.add("GET", "/v1/credit_notes", list_all)
    router.add("GET", "/v1/credit_notes/{id}", retrieve)
    router.add("POST", "/v1/credit_notes/{id}/void", void,
               "")
    router.add("GET", "/v1/credit_notes/{id}/lines", lines)
