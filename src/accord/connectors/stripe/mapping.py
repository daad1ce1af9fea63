"""Pure functions between Stripe objects (plain dicts, as ``StripeObject.to_dict()`` gives)
and canonical entities.

* Amounts: Stripe sends integers in the currency's minor unit (cents, yen, fils for KWD's
  three decimals). They become :class:`Money` through ``from_minor_units`` by the currency's
  exponent and go back through ``to_minor_units``, so nothing is ever rounded. A price finer
  than the minor unit travels as ``unit_amount_decimal`` (a decimal string of minor units).
* Ids: the canonical id is written to ``metadata["accord_id"]``; what accord needs and Stripe
  has no field for (legal entity, SKU, product kind) also travels in metadata.
* Missing or malformed values raise :class:`DataQualityError` naming the Stripe field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from pydantic import ValidationError

from accord.canonical.base import DateRange, Entity, Period
from accord.canonical.billing import (
    CreditNote,
    CreditNoteLine,
    CreditNoteReason,
    CreditNoteStatus,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    RevenueRecognition,
    TaxLine,
)
from accord.canonical.catalog import (
    IntervalUnit,
    Price,
    PriceTier,
    Product,
    ProductKind,
    Recurrence,
    TiersMode,
)
from accord.canonical.money import Money, allocate, money_sum
from accord.canonical.party import Address, ContactRole, Customer, CustomerStatus
from accord.canonical.payments import (
    Allocation,
    Payment,
    PaymentMethodKind,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from accord.canonical.subscription import (
    Subscription,
    SubscriptionItem,
    SubscriptionStatus,
    UsageRecord,
)
from accord.errors import DataQualityError, Team

SYSTEM = "stripe"
ACCORD_ID = "accord_id"

StripeDict = Mapping[str, Any]
E = TypeVar("E", bound=Entity)


# -- helpers -----------------------------------------------------------------------------------
def _bad(field: str, reason: str, owner: Team = Team.MASTER_DATA) -> DataQualityError:
    return DataQualityError(field, reason, owner=owner, system=SYSTEM)


def _build(model: type[E], data: dict[str, Any], stripe_id: str) -> E:
    """Validate a canonical entity; a rule it breaks is the record's data quality problem."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(record)"
        raise _bad(field, f"{stripe_id}: {first['msg']}") from None


def money(minor: int, currency: str) -> Money:
    """Stripe minor units -> Money (``currency`` in Stripe's lowercase)."""
    return Money.from_minor_units(int(minor), currency.upper())


def minor_units(value: Money) -> int:
    """Money -> Stripe minor units; refuses an amount finer than the currency allows."""
    return value.to_minor_units()


def decimal_minor_units(value: Money) -> str:
    """Money -> ``unit_amount_decimal`` (minor units, up to 12 decimal places)."""
    scaled = value.amount.scaleb(value.exponent).normalize()
    if scaled == scaled.to_integral():
        scaled = scaled.quantize(Decimal(1))
    return format(scaled, "f")


def money_from_decimal(text: str, currency: str) -> Money:
    try:
        minor = Decimal(text)
    except InvalidOperation:
        raise _bad("unit_amount_decimal", f"{text!r} is not a decimal") from None
    upper = currency.upper()
    return Money.of(minor.scaleb(-Money.zero(upper).exponent), upper)


def timestamp(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(int(value), UTC)


def _metadata(obj: StripeDict) -> Mapping[str, str]:
    meta = obj.get("metadata") or {}
    return meta if isinstance(meta, Mapping) else {}


def _canonical(obj: StripeDict, canonical_id: str | None) -> dict[str, Any]:
    """The id fields of an entity: the given id, else the one in metadata, else a new one."""
    return {"id": canonical_id or _metadata(obj).get(ACCORD_ID) or None,
            "external_ids": {SYSTEM: str(obj["id"])}}


def _clean(params: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in params.items() if value is not None}


def stripe_id(entity: Entity) -> str | None:
    return entity.external_ids.get(SYSTEM)


# -- customers ---------------------------------------------------------------------------------
def address_params(address: Address | None) -> dict[str, Any] | None:
    if address is None:
        return None
    return _clean({"line1": address.line1, "line2": address.line2, "city": address.city,
                   "state": address.region, "postal_code": address.postal_code,
                   "country": address.country})


def customer_params(customer: Customer) -> dict[str, Any]:
    contact = customer.billing_contact
    metadata = _clean({
        ACCORD_ID: customer.id,
        "legal_entity": customer.legal_entity,
        "currency": customer.currency,
        "status": customer.status.value,
        "domain": customer.domain,
        "contact_name": contact.name if contact else None,
        "parent_id": customer.parent_id,
    })
    return _clean({
        "name": customer.legal_name,
        "email": str(contact.email) if contact else None,
        "phone": contact.phone if contact else None,
        "address": address_params(customer.billing_address),
        "tax_exempt": "exempt" if customer.tax_profile.exempt else "none",
        "metadata": metadata,
    })


def customer_from_stripe(obj: StripeDict, *, canonical_id: str | None = None,
                         default_legal_entity: str | None = None,
                         default_currency: str | None = None) -> Customer:
    meta = _metadata(obj)
    legal_entity = meta.get("legal_entity") or default_legal_entity
    if not legal_entity:
        raise _bad("metadata.legal_entity", f"{obj['id']}: no selling legal entity")
    currency = meta.get("currency") or obj.get("currency") or default_currency
    if not currency:
        raise _bad("currency", f"{obj['id']}: no billing currency")
    contacts = []
    if obj.get("email"):
        contacts.append({"name": meta.get("contact_name") or obj.get("name") or obj["email"],
                         "email": obj["email"], "role": ContactRole.BILLING,
                         "phone": obj.get("phone")})
    address = obj.get("address") or {}
    billing_address = None
    if address.get("line1") and address.get("city") and address.get("country"):
        billing_address = {"line1": address["line1"], "line2": address.get("line2"),
                           "city": address["city"], "region": address.get("state"),
                           "postal_code": address.get("postal_code"),
                           "country": address["country"]}
    data = {
        **_canonical(obj, canonical_id),
        "legal_name": obj.get("name") or "",
        "legal_entity": legal_entity,
        "currency": str(currency).upper(),
        "billing_address": billing_address,
        "contacts": contacts,
        "domain": meta.get("domain"),
        "parent_id": meta.get("parent_id"),
        "status": meta.get("status") or CustomerStatus.ACTIVE,
        "tax_profile": {"exempt": obj.get("tax_exempt") == "exempt"},
    }
    return _build(Customer, data, str(obj["id"]))


# -- catalog -----------------------------------------------------------------------------------
def product_params(product: Product) -> dict[str, Any]:
    return _clean({
        "name": product.name,
        "description": product.description,
        "active": product.active,
        "metadata": {ACCORD_ID: product.id, "sku": product.sku, "kind": product.kind.value,
                     "revenue_category": product.revenue_category},
    })


def product_from_stripe(obj: StripeDict, *, canonical_id: str | None = None) -> Product:
    meta = _metadata(obj)
    if not meta.get("sku"):
        raise _bad("metadata.sku", f"{obj['id']}: product has no SKU")
    data = {
        **_canonical(obj, canonical_id),
        "sku": meta["sku"],
        "name": obj.get("name") or "",
        "kind": meta.get("kind") or ProductKind.RECURRING,
        "revenue_category": meta.get("revenue_category") or "subscription",
        "description": obj.get("description"),
        "active": bool(obj.get("active", True)),
    }
    return _build(Product, data, str(obj["id"]))


def _amount_params(value: Money, prefix: str = "unit_amount") -> dict[str, Any]:
    if value.is_exact:
        return {prefix: minor_units(value)}
    return {f"{prefix}_decimal": decimal_minor_units(value)}


def price_params(price: Price, stripe_product_id: str) -> dict[str, Any]:
    params: dict[str, Any] = {
        "product": stripe_product_id,
        "currency": price.currency.lower(),
        "active": price.active,
        "metadata": {ACCORD_ID: price.id, "product_id": price.product_id},
    }
    if price.unit_amount is not None:
        params.update(_amount_params(price.unit_amount))
    if price.tiers:
        params["billing_scheme"] = "tiered"
        params["tiers_mode"] = price.tiers_mode.value if price.tiers_mode else None
        tiers = []
        for tier in price.tiers:
            entry: dict[str, Any] = {"up_to": "inf" if tier.up_to is None else tier.up_to}
            entry.update(_amount_params(tier.unit_amount))
            if tier.flat_amount is not None:
                entry["flat_amount"] = minor_units(tier.flat_amount)
            tiers.append(entry)
        params["tiers"] = tiers
    if price.recurrence is not None:
        params["recurring"] = {"interval": price.recurrence.interval.value,
                               "interval_count": price.recurrence.count,
                               "usage_type": "metered" if price.metered else "licensed"}
    return params


def _stripe_amount(obj: StripeDict, currency: str, field: str) -> Money | None:
    decimal_text = obj.get(f"{field}_decimal")
    if decimal_text is not None:
        return money_from_decimal(str(decimal_text), currency)
    value = obj.get(field)
    return None if value is None else money(int(value), currency)


def price_from_stripe(obj: StripeDict, *, canonical_id: str | None = None,
                      product_id: str | None = None) -> Price:
    meta = _metadata(obj)
    product = product_id or meta.get("product_id")
    if not product:
        raise _bad("metadata.product_id", f"{obj['id']}: price has no canonical product")
    currency = str(obj["currency"])
    recurring = obj.get("recurring")
    tiers = []
    for index, tier in enumerate(obj.get("tiers") or []):
        unit = _stripe_amount(tier, currency, "unit_amount") or money(0, currency)
        flat = _stripe_amount(tier, currency, "flat_amount")
        try:
            tiers.append(PriceTier(up_to=tier.get("up_to"), unit_amount=unit, flat_amount=flat))
        except ValidationError as exc:
            raise _bad(f"tiers.{index}", exc.errors()[0]["msg"]) from None
    data = {
        **_canonical(obj, canonical_id),
        "product_id": product,
        "currency": currency.upper(),
        "unit_amount": None if tiers else _stripe_amount(obj, currency, "unit_amount"),
        "recurrence": None if not recurring else Recurrence(
            interval=IntervalUnit(recurring["interval"]),
            count=int(recurring.get("interval_count") or 1)),
        "metered": bool(recurring and recurring.get("usage_type") == "metered"),
        "tiers_mode": TiersMode(obj["tiers_mode"]) if obj.get("tiers_mode") else None,
        "tiers": tuple(tiers),
        "active": bool(obj.get("active", True)),
    }
    return _build(Price, data, str(obj["id"]))


# -- subscriptions -----------------------------------------------------------------------------
_SUBSCRIPTION_STATUS = {
    "incomplete": SubscriptionStatus.INCOMPLETE,
    "incomplete_expired": SubscriptionStatus.CANCELED,
    "trialing": SubscriptionStatus.TRIALING,
    "active": SubscriptionStatus.ACTIVE,
    "past_due": SubscriptionStatus.PAST_DUE,
    "unpaid": SubscriptionStatus.UNPAID,
    "paused": SubscriptionStatus.PAUSED,
    "canceled": SubscriptionStatus.CANCELED,
}


def subscription_params(subscription: Subscription, *, stripe_customer_id: str,
                        stripe_price_ids: Mapping[str, str]) -> dict[str, Any]:
    """``stripe_price_ids`` maps canonical price ids to Stripe price ids."""
    items = []
    for index, item in enumerate(subscription.items):
        if item.price_id is None or item.price_id not in stripe_price_ids:
            raise _bad(f"items.{index}.price_id", "the price is not in Stripe yet",
                       Team.REVENUE_OPERATIONS)
        if item.quantity != item.quantity.to_integral():
            raise _bad(f"items.{index}.quantity", "Stripe quantities are whole numbers",
                       Team.REVENUE_OPERATIONS)
        items.append({"price": stripe_price_ids[item.price_id], "quantity": int(item.quantity),
                      "metadata": {"sku": item.product_sku}})
    return {
        "customer": stripe_customer_id,
        "items": items,
        "metadata": _clean({ACCORD_ID: subscription.id,
                            "contract_id": subscription.contract_id}),
    }


def subscription_from_stripe(obj: StripeDict, *, customer_id: str,
                             sku_of_product: Mapping[str, str],
                             canonical_id: str | None = None,
                             price_id_of: Mapping[str, str] | None = None) -> Subscription:
    """``sku_of_product`` maps Stripe product ids to SKUs; ``price_id_of`` Stripe price ids to
    canonical price ids (optional)."""
    currency = str(obj["currency"])
    items = []
    data_items = (obj.get("items") or {}).get("data") or []
    for index, item in enumerate(data_items):
        price = item["price"]
        product = price["product"] if isinstance(price["product"], str) \
            else price["product"]["id"]
        sku = (item.get("metadata") or {}).get("sku") or sku_of_product.get(product)
        if not sku:
            raise _bad(f"items.data.{index}.price.product", f"no SKU known for {product}")
        unit = None
        if price.get("billing_scheme") == "per_unit":
            unit = _stripe_amount(price, currency, "unit_amount")
        items.append(SubscriptionItem(product_sku=sku,
                                      price_id=(price_id_of or {}).get(price["id"]),
                                      quantity=Decimal(item.get("quantity") or 0),
                                      unit_amount=unit))
    period = None
    if data_items:
        start, end = data_items[0].get("current_period_start"), \
            data_items[0].get("current_period_end")
        if start is not None and end is not None and end > start:
            period = Period(start=timestamp(start), end=timestamp(end))
    status = _SUBSCRIPTION_STATUS.get(str(obj["status"]))
    if status is None:
        raise _bad("status", f"unknown subscription status {obj['status']!r}",
                   Team.INTEGRATION_ENGINEERING)
    canceled_at = obj.get("canceled_at") or obj.get("ended_at")
    if status is SubscriptionStatus.CANCELED and canceled_at is None:
        canceled_at = obj.get("created")
    data = {
        **_canonical(obj, canonical_id),
        "customer_id": customer_id,
        "contract_id": _metadata(obj).get("contract_id"),
        "currency": currency.upper(),
        "items": tuple(items),
        "status": status,
        "current_period": period,
        "started_at": timestamp(obj.get("start_date")),
        "canceled_at": timestamp(canceled_at),
    }
    return _build(Subscription, data, str(obj["id"]))


def meter_event_params(usage: UsageRecord, *, event_name: str,
                       stripe_customer_id: str) -> dict[str, Any]:
    """A billing meter event for canonical usage (the meter sums ``value``)."""
    return {"event_name": event_name, "identifier": usage.id,
            "timestamp": int(usage.occurred_at.timestamp()),
            "payload": {"stripe_customer_id": stripe_customer_id,
                        "value": format(usage.quantity.normalize(), "f")}}


# -- invoices and credit notes -----------------------------------------------------------------
def _day(value: int) -> date:
    return datetime.fromtimestamp(int(value), UTC).date()


def _service_period(period: Mapping[str, Any] | None) -> DateRange | None:
    """Stripe periods are [start, end) instants; canonical ranges are inclusive dates."""
    if not period or period.get("end") is None or period.get("start") is None:
        return None
    start, end = int(period["start"]), int(period["end"])
    if end <= start:
        return None
    last = (datetime.fromtimestamp(end, UTC) - timedelta(seconds=1)).date()
    return DateRange(start=_day(start), end=max(last, _day(start)))


def _line_product(line: StripeDict) -> str | None:
    pricing = line.get("pricing") or {}
    details = pricing.get("price_details") or {}
    product = details.get("product")
    return product if isinstance(product, str) else None


def _tax_lines(obj: StripeDict, currency: str,
               tax_rates: Mapping[str, StripeDict]) -> list[TaxLine]:
    lines = []
    for tax in obj.get("total_taxes") or []:
        rate_id = (tax.get("tax_rate_details") or {}).get("tax_rate")
        rate = tax_rates.get(str(rate_id)) if rate_id else None
        taxable = int(tax.get("taxable_amount") or 0)
        if rate is not None:
            percent = Decimal(str(rate.get("percentage_decimal") or rate["percentage"]))
            jurisdiction = rate.get("jurisdiction") or rate.get("country") or rate["id"]
        else:
            percent = (Decimal(int(tax["amount"])) * 100 / taxable).quantize(Decimal("0.0001")) \
                if taxable else Decimal(0)
            jurisdiction = str(rate_id or "unknown")
        lines.append(TaxLine(jurisdiction=jurisdiction, rate=percent,
                             taxable_amount=money(taxable, currency),
                             amount=money(int(tax["amount"]), currency),
                             tax_code=str(rate_id) if rate_id else None))
    return lines


_INVOICE_STATUS = {status.value: status for status in InvoiceStatus}


def _line_tax(line: StripeDict, currency: str) -> tuple[Money, str | None]:
    """A line's tax (its ``taxes``: what each tax rate charged on it) and the tax rate it
    was charged under (None when untaxed or under several, as for the tax lines' codes)."""
    taxes = line.get("taxes") or []
    rates = {str((tax.get("tax_rate_details") or {}).get("tax_rate") or "") for tax in taxes}
    code = rates.pop() if len(rates) == 1 else None
    return money(sum(int(tax.get("amount") or 0) for tax in taxes), currency), code or None


def _line_taxes(lines: Sequence[StripeDict], currency: str, tax_total: Money
                ) -> list[tuple[Money, str | None]]:
    """Each line's tax as Stripe charged it; when the lines' taxes do not add up to the
    invoice's tax (a document without per-line taxes), ``tax_total`` allocated over the line
    amounts instead (largest remainder, :func:`accord.canonical.money.allocate`)."""
    charged = [_line_tax(line, currency) for line in lines]
    if not lines or money_sum((tax for tax, _ in charged), currency.upper()) == tax_total:
        return charged
    shares = allocate(tax_total, [money(int(line["amount"]), currency) for line in lines])
    return [(share, code) for share, (_, code) in zip(shares, charged, strict=True)]


def invoice_from_stripe(obj: StripeDict, *, customer_id: str, legal_entity: str,
                        subscription_id: str | None = None,
                        sku_of_product: Mapping[str, str] | None = None,
                        tax_rates: Mapping[str, StripeDict] | None = None,
                        canonical_id: str | None = None) -> Invoice:
    currency = str(obj["currency"])
    skus = sku_of_product or {}
    discount = sum(int(d.get("amount") or 0) for d in obj.get("total_discount_amounts") or [])
    tax_total = money(int(obj["total"]) - int(obj["subtotal"]) + discount, currency)
    stripe_lines = (obj.get("lines") or {}).get("data") or []
    lines = []
    periods = []
    for line, (tax, tax_code) in zip(stripe_lines,
                                     _line_taxes(stripe_lines, currency, tax_total),
                                     strict=True):
        service = _service_period(line.get("period"))
        if service is not None:
            periods.append(service)
        product = _line_product(line)
        lines.append(InvoiceLine(description=line.get("description") or "Invoice line",
                                 product_sku=skus.get(product) if product else None,
                                 quantity=Decimal(line.get("quantity") or 1),
                                 amount=money(int(line["amount"]), currency),
                                 service_period=service, tax_amount=tax, tax_code=tax_code,
                                 revenue_recognition=RevenueRecognition.for_period(service)))
    transitions = obj.get("status_transitions") or {}
    issued = transitions.get("finalized_at") or obj.get("created")
    status = _INVOICE_STATUS.get(str(obj["status"]))
    if status is None:
        raise _bad("status", f"unknown invoice status {obj['status']!r}",
                   Team.INTEGRATION_ENGINEERING)
    data = {
        **_canonical(obj, canonical_id),
        "number": obj.get("number"),
        "customer_id": customer_id,
        "subscription_id": subscription_id,
        "legal_entity": legal_entity,
        "currency": currency.upper(),
        "status": status,
        "lines": tuple(lines),
        "tax_lines": tuple(_tax_lines(obj, currency, tax_rates or {})),
        "subtotal": money(int(obj["subtotal"]), currency),
        "discount_total": money(discount, currency) if discount else None,
        "tax_total": tax_total,
        "total": money(int(obj["total"]), currency),
        "amount_paid": money(int(obj.get("amount_paid") or 0), currency),
        "issue_date": _day(int(issued or 0)),
        "due_date": _day(int(obj["due_date"])) if obj.get("due_date") else None,
        "service_period": DateRange(start=min(p.start for p in periods),
                                    end=max(p.end for p in periods)) if periods else None,
        "po_number": _metadata(obj).get("po_number"),
    }
    return _build(Invoice, data, str(obj["id"]))


def subscription_of_invoice(obj: StripeDict) -> str | None:
    """The Stripe subscription id behind an invoice (``parent.subscription_details``)."""
    parent = obj.get("parent") or {}
    details = parent.get("subscription_details") or {}
    subscription = details.get("subscription")
    if isinstance(subscription, Mapping):
        return str(subscription["id"])
    return str(subscription) if subscription else None


_CREDIT_REASON = {reason.value: reason for reason in CreditNoteReason}


def credit_note_params(note: CreditNote, *, stripe_invoice_id: str,
                       refund: bool = False) -> dict[str, Any]:
    """Custom lines, one per canonical line; ``refund`` sends the total back to the card (for
    a paid invoice), otherwise Stripe credits an open invoice or the customer's balance."""
    lines = []
    for index, line in enumerate(note.lines):
        if line.quantity != line.quantity.to_integral() or line.quantity == 0:
            raise _bad(f"lines.{index}.quantity", "Stripe credits whole quantities")
        quantity = int(line.quantity)
        unit = line.amount.amount / quantity
        unit_money = Money.of(unit, note.currency)
        if not unit_money.is_exact:
            quantity, unit_money = 1, line.amount
        lines.append({"type": "custom_line_item", "description": line.description,
                      "quantity": quantity, "unit_amount": minor_units(unit_money)})
    params: dict[str, Any] = {
        "invoice": stripe_invoice_id, "lines": lines,
        "metadata": {ACCORD_ID: note.id},
    }
    if note.reason is not CreditNoteReason.OTHER:
        params["reason"] = note.reason.value
    if refund:
        params["refund_amount"] = minor_units(note.total)
    return params


def credit_note_from_stripe(obj: StripeDict, *, invoice_id: str, customer_id: str,
                            canonical_id: str | None = None,
                            tax_rates: Mapping[str, StripeDict] | None = None) -> CreditNote:
    currency = str(obj["currency"])
    lines = [CreditNoteLine(description=line.get("description") or "Credit",
                            quantity=Decimal(line.get("quantity") or 1),
                            amount=money(int(line["amount"]), currency))
             for line in (obj.get("lines") or {}).get("data") or []]
    data = {
        **_canonical(obj, canonical_id),
        "number": obj.get("number") or str(obj["id"]),
        "invoice_id": invoice_id,
        "customer_id": customer_id,
        "currency": currency.upper(),
        "lines": tuple(lines),
        "tax_lines": tuple(_tax_lines(obj, currency, tax_rates or {})),
        "subtotal": money(int(obj["subtotal"]), currency),
        "tax_total": money(int(obj["total"]) - int(obj["subtotal"]), currency),
        "total": money(int(obj["total"]), currency),
        "reason": _CREDIT_REASON.get(str(obj.get("reason")), CreditNoteReason.OTHER),
        "status": CreditNoteStatus.VOID if obj.get("status") == "void"
        else CreditNoteStatus.ISSUED,
        "issue_date": _day(int(obj.get("effective_at") or obj["created"] or 0)),
    }
    return _build(CreditNote, data, str(obj["id"]))


# -- payments and refunds ----------------------------------------------------------------------
def payment_from_charge(obj: StripeDict, *, customer_id: str, invoice_id: str | None = None,
                        canonical_id: str | None = None) -> Payment:
    """A charge (succeeded or failed) as a canonical Payment; a decline is a failed payment
    whose ``failure_code`` is Stripe's ``decline_code`` when there is one."""
    currency = str(obj["currency"])
    amount = money(int(obj["amount"]), currency)
    refunded = int(obj.get("amount_refunded") or 0)
    if obj["status"] == "failed":
        status = PaymentStatus.FAILED
    elif obj["status"] == "pending":
        status = PaymentStatus.PENDING
    elif refunded >= int(obj["amount"]):
        status = PaymentStatus.REFUNDED
    elif refunded:
        status = PaymentStatus.PARTIALLY_REFUNDED
    else:
        status = PaymentStatus.SUCCEEDED
    outcome = obj.get("outcome") or {}
    failure_code = None
    if status is PaymentStatus.FAILED:
        failure_code = outcome.get("reason") or obj.get("failure_code") or "declined"
    details = obj.get("payment_method_details") or {}
    method = {"card": PaymentMethodKind.CARD, "us_bank_account": PaymentMethodKind.ACH_DEBIT,
              "sepa_debit": PaymentMethodKind.SEPA_DEBIT,
              "customer_balance": PaymentMethodKind.BANK_TRANSFER}.get(
        str(details.get("type")), PaymentMethodKind.OTHER)
    allocations: tuple[Allocation, ...] = ()
    if invoice_id is not None and status is not PaymentStatus.FAILED:
        allocations = (Allocation(invoice_id=invoice_id, amount=amount),)
    data = {
        **_canonical(obj, canonical_id),
        "customer_id": customer_id,
        "amount": amount,
        "method": method,
        "status": status,
        "allocations": allocations,
        "received_at": timestamp(int(obj["created"])),
        "failure_code": failure_code,
        "failure_message": obj.get("failure_message") if failure_code else None,
    }
    return _build(Payment, data, str(obj["id"]))


_REFUND_STATUS = {"pending": RefundStatus.PENDING, "requires_action": RefundStatus.PENDING,
                  "succeeded": RefundStatus.SUCCEEDED, "failed": RefundStatus.FAILED,
                  "canceled": RefundStatus.FAILED}


def refund_params(refund: Refund, *, stripe_charge_id: str) -> dict[str, Any]:
    reason = refund.reason if refund.reason in (
        "duplicate", "fraudulent", "requested_by_customer") else None
    return _clean({"charge": stripe_charge_id, "amount": minor_units(refund.amount),
                   "reason": reason,
                   "metadata": {ACCORD_ID: refund.id, "reason": refund.reason}})


def refund_from_stripe(obj: StripeDict, *, payment_id: str, customer_id: str,
                       canonical_id: str | None = None) -> Refund:
    meta = _metadata(obj)
    data = {
        **_canonical(obj, canonical_id),
        "payment_id": payment_id,
        "customer_id": customer_id,
        "amount": money(int(obj["amount"]), str(obj["currency"])),
        "reason": meta.get("reason") or obj.get("reason") or "requested_by_customer",
        "status": _REFUND_STATUS.get(str(obj.get("status")), RefundStatus.PENDING),
        "refunded_at": timestamp(int(obj["created"])),
    }
    return _build(Refund, data, str(obj["id"]))



__all__ = [
    "ACCORD_ID",
    "SYSTEM",
    "credit_note_from_stripe",
    "credit_note_params",
    "customer_from_stripe",
    "customer_params",
    "decimal_minor_units",
    "invoice_from_stripe",
    "meter_event_params",
    "minor_units",
    "money",
    "money_from_decimal",
    "payment_from_charge",
    "price_from_stripe",
    "price_params",
    "product_from_stripe",
    "product_params",
    "refund_from_stripe",
    "refund_params",
    "stripe_id",
    "subscription_from_stripe",
    "subscription_of_invoice",
    "subscription_params",
]
