"""A draft invoice's line items, updated in place - the way an external tax engine's amounts
reach an invoice before it is finalized.

``POST /v1/invoices/{invoice}/lines/{line_item_id}`` takes ``description``, ``metadata`` and
``tax_amounts``. Stripe keeps tax amounts only on the line: each entry's ``tax_rate_data``
finds the tax rate with exactly that data, or creates one (inactive, as Stripe archives the
rates it creates for tax amounts), and the line charges the amount as given - no percentage
arithmetic. ``tax_amounts=''`` clears them. Only a draft's lines can change; a line that
carries its own ``tax_rates`` cannot also take tax amounts. Rates are exclusive, like every
rate this sandbox keeps.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from accord.sandboxes.stripe import invoicing
from accord.sandboxes.stripe.context import Ctx
from accord.sandboxes.stripe.errors import invalid, missing_param, no_such
from accord.sandboxes.stripe.ids import new_id
from accord.sandboxes.stripe.params import Params
from accord.sandboxes.stripe.routing import Router
from accord.sandboxes.stripe.shapes import wire
from accord.sandboxes.stripe.state import StripeObject

JURISDICTION_LEVELS = ("city", "country", "county", "district", "multiple", "state")
TAX_TYPES = ("admissions_tax", "amusement_tax", "attendance_tax", "communications_tax",
             "digital_excise_tax", "entertainment_tax", "get_fund", "gross_receipts_tax", "gst",
             "hospitality_tax", "hst", "igst", "jct", "lease_tax", "luxury_tax",
             "mass_transit_parking_tax", "nhil", "parking_tax", "pst", "qst", "resort_tax",
             "retail_delivery_fee", "rst", "sales_tax", "service_tax", "tourism_tax",
             "utility_users_tax", "vat")
REASONS = ("customer_exempt", "not_collecting", "not_subject_to_tax", "not_supported",
           "portion_product_exempt", "portion_reduced_rated", "portion_standard_rated",
           "product_exempt", "product_exempt_holiday", "proportionally_rated", "reduced_rated",
           "reverse_charge", "standard_rated", "taxable_basis_reduced", "zero_rated")
_RATE_FIELDS = ("display_name", "percentage", "country", "state", "jurisdiction",
                "jurisdiction_level", "tax_type", "description")


def _rate_data(data: Params) -> dict[str, Any]:
    percentage = data.decimal("percentage")
    if percentage is None:
        raise missing_param(data.name("percentage"))
    if not 0 <= percentage <= 100 or percentage != round(percentage, 4):
        raise invalid("percentage must be between 0 and 100 with at most 4 decimal places",
                      param=data.name("percentage"))
    inclusive = data.bool("inclusive")
    if inclusive is None:
        raise missing_param(data.name("inclusive"))
    if inclusive:
        raise invalid("Inclusive tax rates are not supported by this sandbox.",
                      param=data.name("inclusive"))
    return {"display_name": data.req("display_name"), "percentage": str(percentage),
            "country": data.str("country"), "state": data.str("state"),
            "jurisdiction": data.str("jurisdiction"),
            "jurisdiction_level": data.str("jurisdiction_level", choices=JURISDICTION_LEVELS),
            "tax_type": data.str("tax_type", choices=TAX_TYPES),
            "description": data.str("description")}


def _rate_for(ctx: Ctx, data: dict[str, Any]) -> str:
    """The tax rate with exactly ``data``, created (inactive) the first time."""
    for rate in ctx.store.all("tax_rate"):
        if ctx.store.note(rate["id"]).get("tax_amount_data") == data:
            return str(rate["id"])
    percentage = Decimal(data["percentage"])
    rate = wire("tax_rate", {
        "id": new_id("txr"), "active": False, "country": data["country"],
        "created": ctx.now(), "description": data["description"],
        "display_name": data["display_name"], "effective_percentage": float(percentage),
        "inclusive": False, "jurisdiction": data["jurisdiction"],
        "jurisdiction_level": data["jurisdiction_level"], "livemode": False, "metadata": {},
        "percentage": float(percentage), "rate_type": "percentage", "state": data["state"],
        "tax_type": data["tax_type"]})
    ctx.store.insert(rate)
    ctx.store.note(rate["id"]).update(percentage=data["percentage"], tax_amount_data=data)
    ctx.emit("tax_rate.created", rate)
    return str(rate["id"])


def _tax_amount(ctx: Ctx, entry: Params) -> dict[str, Any]:
    data = entry.sub("tax_rate_data")
    if data is None:
        raise missing_param(entry.name("tax_rate_data"))
    return {"amount": entry.req_int("amount", minimum=0),
            "taxable_amount": entry.req_int("taxable_amount", minimum=0),
            "reason": entry.str("taxability_reason", choices=REASONS) or "standard_rated",
            "rate_id": _rate_for(ctx, _rate_data(data))}


def _line_of(invoice: StripeObject, line_id: str) -> StripeObject:
    for line in invoice["lines"]["data"]:
        if line["id"] == line_id:
            found: StripeObject = line
            return found
    raise no_such("invoice line item", line_id, param="line_item_id")


def update_line(ctx: Ctx, params: Params, path: dict[str, str]) -> dict[str, Any]:
    invoice = ctx.store.get("invoice", path["invoice"], param="invoice")
    line = _line_of(invoice, path["line_item_id"])
    if invoice["status"] != "draft":
        raise invalid("Updating an invoice's line item is only possible before the invoice "
                      "is finalized.", code="invoice_not_editable")
    before = {key: invoice[key] for key in ("total", "total_taxes", "amount_due")}
    if params.has("description"):
        line["description"] = params.str("description")
    if params.has("metadata"):
        line["metadata"] = params.metadata(line["metadata"])
    if params.has("tax_amounts"):
        note = ctx.store.note(line["id"])
        entries = params.list("tax_amounts")
        if entries and note.get("tax_rates"):
            raise invalid("A line item with tax_rates cannot also take tax_amounts.",
                          param="tax_amounts")
        note["tax_amounts"] = [_tax_amount(ctx, entry) for entry in entries]
    invoicing.refresh(ctx, invoice)
    changed = {key: value for key, value in before.items() if invoice[key] != value}
    if changed:
        ctx.emit("invoice.updated", invoice, changed)
    return line


def register(router: Router) -> None:
    router.add("POST", "/v1/invoices/{invoice}/lines/{line_item_id}", update_line,
               "description metadata tax_amounts")


__all__ = ["register", "update_line"]
