"""Pure functions between canonical entities and NetSuite records.

Outbound functions return request bodies for the REST record service; every record carries
``externalId`` = the canonical id, and references to other accord-owned records use
``{"externalId": <canonical id>}``, so writes are idempotent upserts and need no id lookups.
Subsidiaries, currencies, items, accounts, periods and segments come from :class:`RefData`.
Inbound functions take records as ``NetSuiteClient.get`` returns them (sublists expanded,
amounts ``Decimal``) plus whatever canonical ids the caller resolved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from accord.canonical.billing import (
    CreditNote,
    CreditNoteLine,
    CreditNoteReason,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    RevenueRecognition,
    TaxLine,
)
from accord.canonical.catalog import Product, ProductKind
from accord.canonical.ledger import JournalEntry, JournalLine, Side
from accord.canonical.money import Money, allocate, money_sum
from accord.canonical.party import (
    Address,
    Contact,
    ContactRole,
    Customer,
    CustomerStatus,
    TaxIdKind,
    TaxProfile,
    TaxRegistration,
)
from accord.canonical.payments import (
    Allocation,
    Payment,
    PaymentMethodKind,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from accord.canonical.record_keys import CANONICAL_ID
from accord.connectors.netsuite.refdata import RefData
from accord.errors import DataQualityError, Team

SYSTEM = "netsuite"

Body = dict[str, Any]


def _canonical_id(record: Mapping[str, Any], prefix: str) -> str | None:
    value = record.get("externalId")
    if isinstance(value, str) and CANONICAL_ID.match(value) and value.startswith(prefix + "_"):
        return value
    return None


def _ref_id(record: Mapping[str, Any], field: str) -> str | None:
    value = record.get(field)
    if isinstance(value, dict) and value.get("id") is not None:
        return str(value["id"])
    return None


def _items(record: Mapping[str, Any], sublist: str) -> list[dict[str, Any]]:
    value = record.get(sublist)
    if isinstance(value, dict):
        return list(value.get("items") or [])
    return []


def _compact(body: Body) -> Body:
    return {key: value for key, value in body.items() if value is not None}


def _date(value: Any) -> date:
    return date.fromisoformat(str(value)[:10])


def _decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


# -- customers -----------------------------------------------------------------------------
def customer_to_netsuite(customer: Customer, ref: RefData) -> Body:
    subsidiary = ref.subsidiary(customer.legal_entity)
    currency = ref.currency_id(customer.currency)
    contact = customer.billing_contact
    registrations = customer.tax_profile.registrations
    body: Body = {
        "externalId": customer.id,
        "companyName": customer.legal_name,
        "subsidiary": {"id": subsidiary.id},
        "currency": {"id": currency},
        "currencyList": {"items": [{"currency": {"id": currency}}]},
        "email": contact.email if contact else None,
        "url": customer.domain,
        "isInactive": customer.status is CustomerStatus.CLOSED,
        "creditHoldOverride": "ON" if customer.status is CustomerStatus.ON_HOLD else "AUTO",
        "defaultTaxReg": registrations[0].value if registrations else None,
        "taxRegistration": {"items": [{"taxRegistrationNumber": reg.value,
                                       "nexusCountry": reg.country} for reg in registrations]},
    }
    address = customer.billing_address
    if address is not None:
        body["addressBook"] = {"items": [_compact({
            "addr1": address.line1, "addr2": address.line2, "city": address.city,
            "state": address.region, "zip": address.postal_code, "country": address.country,
            "defaultBilling": True})]}
    return _compact(body)


def customer_from_netsuite(record: Mapping[str, Any], ref: RefData) -> Customer:
    status = CustomerStatus.ACTIVE
    if record.get("isInactive"):
        status = CustomerStatus.CLOSED
    elif record.get("creditHoldOverride") == "ON":
        status = CustomerStatus.ON_HOLD
    registrations = tuple(
        TaxRegistration(country=line.get("nexusCountry") or "US", kind=TaxIdKind.VAT,
                        value=line["taxRegistrationNumber"])
        for line in _items(record, "taxRegistration"))
    address = next((line for line in _items(record, "addressBook")
                    if line.get("defaultBilling")), None)
    email = record.get("email")
    subsidiary = _ref_id(record, "subsidiary")
    currency = _ref_id(record, "currency")
    if subsidiary is None or currency is None:
        raise DataQualityError("subsidiary", "NetSuite customer without subsidiary or currency",
                               system=SYSTEM)
    return Customer(
        id=_canonical_id(record, "cus"),
        external_ids={SYSTEM: str(record["id"])},
        legal_name=record["companyName"],
        legal_entity=ref.subsidiary_code(subsidiary),
        currency=ref.currency_code(currency),
        status=status,
        domain=record.get("url"),
        tax_profile=TaxProfile(registrations=registrations),
        contacts=(Contact(name=record["companyName"], email=email, role=ContactRole.BILLING),)
        if email else (),
        billing_address=Address(line1=address["addr1"], line2=address.get("addr2"),
                                city=address["city"], region=address.get("state"),
                                postal_code=address.get("zip"), country=address["country"])
        if address else None,
    )


# -- products ------------------------------------------------------------------------------
def product_to_netsuite(product: Product, ref: RefData) -> tuple[str, Body]:
    """(item record type, body)."""
    return ref.item_type(product.kind.value), _compact({
        "externalId": product.id, "itemId": product.sku, "displayName": product.name,
        "description": product.description,
        "incomeAccount": {"id": ref.revenue_account(product.revenue_category)},
        "isInactive": not product.active})


def product_from_netsuite(record_type: str, record: Mapping[str, Any], ref: RefData
                          ) -> Product:
    kind = next((ProductKind(kind) for kind, item_type in ref.item_types.items()
                 if item_type == record_type), ProductKind.ONE_TIME)
    account = _ref_id(record, "incomeAccount")
    category = next((name for name, account_id in ref.revenue_accounts.items()
                     if account_id == account), "other")
    return Product(id=_canonical_id(record, "prd"), external_ids={SYSTEM: str(record["id"])},
                   sku=record["itemId"], name=record.get("displayName") or record["itemId"],
                   kind=kind, revenue_category=category,
                   description=record.get("description"),
                   active=not record.get("isInactive", False))


# -- invoices and credit memos -------------------------------------------------------------
def _item_lines(lines: Sequence[InvoiceLine | CreditNoteLine], ref: RefData,
                accounts: Sequence[str | None] | None = None) -> list[Body]:
    """Item lines; ``accounts`` (per line, a GL account number or None) defers a line's
    revenue (``deferRevRec``, with its service period as the revenue recognition dates):
    NetSuite books it to the item's deferred revenue account, which must be that account
    (the deferred-revenue check compares them: ``docs/revenue.md``)."""
    if accounts is not None and len(accounts) != len(lines):
        raise DataQualityError("accounts", f"{len(accounts)} accounts for {len(lines)} lines",
                               owner=Team.INTEGRATION_ENGINEERING, system=SYSTEM)
    out: list[Body] = []
    for index, line in enumerate(lines):
        item = ref.item(line.product_sku, f"lines.{index}.product_sku")
        unit = getattr(line, "unit_amount", None)
        account = accounts[index] if accounts is not None else None
        service = getattr(line, "service_period", None)
        deferral: Body = {}
        if account is not None:
            ref.account_id(account, f"accounts.{index}")  # a GL account the ERP knows
            deferral = {"deferRevRec": True,
                        "revRecStartDate": service.start.isoformat() if service else None,
                        "revRecEndDate": service.end.isoformat() if service else None}
        out.append(_compact({"item": {"id": item.id}, "description": line.description,
                             "quantity": line.quantity,
                             "rate": unit.amount if unit is not None else None,
                             "amount": line.amount.amount, **deferral}))
    return out


def _tax_details(tax_lines: tuple[TaxLine, ...]) -> list[Body]:
    return [_compact({"taxCode": tax.tax_code or tax.jurisdiction, "taxType": tax.jurisdiction,
                      "taxRate": tax.rate, "taxBasis": tax.taxable_amount.amount,
                      "taxAmount": tax.amount.amount}) for tax in tax_lines]


def _tax_lines(record: Mapping[str, Any], currency: str) -> tuple[TaxLine, ...]:
    lines = []
    for tax in _items(record, "taxDetails"):
        jurisdiction = tax.get("taxType") or tax["taxCode"]
        lines.append(TaxLine(
            jurisdiction=jurisdiction,
            tax_code=tax["taxCode"] if tax["taxCode"] != jurisdiction else None,
            rate=_decimal(tax.get("taxRate") or 0),
            taxable_amount=Money.of(_decimal(tax.get("taxBasis") or 0), currency),
            amount=Money.of(_decimal(tax["taxAmount"]), currency)))
    return tuple(lines)


def invoice_to_netsuite(invoice: Invoice, ref: RefData, *,
                        accounts: Sequence[str | None] | None = None) -> Body:
    subsidiary = ref.subsidiary(invoice.legal_entity)
    lines = _item_lines(invoice.lines, ref, accounts)
    if invoice.discount_total is not None and not invoice.discount_total.is_zero():
        if ref.discount_item is None:
            raise DataQualityError("discount_total", "no discount item in the reference data",
                                   owner=Team.REVENUE_OPERATIONS, system=SYSTEM)
        lines.append({"item": {"id": ref.discount_item.id}, "description": "Discount",
                      "amount": -invoice.discount_total.amount})
    return _compact({
        "externalId": invoice.id,
        "tranId": invoice.number,
        "entity": {"externalId": invoice.customer_id},
        "subsidiary": {"id": subsidiary.id},
        "currency": {"id": ref.currency_id(invoice.currency)},
        "tranDate": invoice.issue_date.isoformat(),
        "dueDate": invoice.due_date.isoformat() if invoice.due_date else None,
        "otherRefNum": invoice.po_number,
        "item": {"items": lines},
        "taxDetails": {"items": _tax_details(invoice.tax_lines)},
    })


def _document_lines(record: Mapping[str, Any], ref: RefData, currency: str
                    ) -> tuple[list[dict[str, Any]], Money]:
    discount = Money.zero(currency)
    lines = []
    discount_id = ref.discount_item.id if ref.discount_item else None
    for line in _items(record, "item"):
        amount = Money.of(_decimal(line["amount"]), currency)
        item_id = _ref_id(line, "item")
        if discount_id is not None and item_id == discount_id and amount.is_negative():
            discount = discount - amount
            continue
        lines.append({"line": line, "amount": amount, "item_id": item_id})
    return lines, discount


def invoice_from_netsuite(record: Mapping[str, Any], ref: RefData, *, customer_id: str
                          ) -> Invoice:
    currency = ref.currency_code(_ref_id(record, "currency") or "")
    raw_lines, discount = _document_lines(record, ref, currency)
    tax_lines = _tax_lines(record, currency)
    tax_total = money_sum((tax.amount for tax in tax_lines), currency)
    # the tax details summarise the document: each line's share is allocated by its amount
    shares = allocate(tax_total, [raw["amount"] for raw in raw_lines]) if raw_lines else ()
    lines = tuple(InvoiceLine(
        description=raw["line"].get("description") or
        (raw["line"].get("item") or {}).get("refName") or "item",
        product_sku=ref.sku(raw["item_id"]) if raw["item_id"] else None,
        quantity=_decimal(raw["line"].get("quantity") or 1),
        unit_amount=Money.of(_decimal(raw["line"]["rate"]), currency)
        if raw["line"].get("rate") is not None else None,
        amount=raw["amount"], tax_amount=share,
        revenue_recognition=RevenueRecognition.POINT_IN_TIME)  # no service period is posted
        for raw, share in zip(raw_lines, shares, strict=True))
    subtotal = money_sum((line.amount for line in lines), currency)
    total = subtotal - discount + tax_total
    remaining = record.get("amountRemaining")
    paid = total - Money.of(_decimal(remaining), currency) if remaining is not None else None
    return Invoice(
        id=_canonical_id(record, "inv"), external_ids={SYSTEM: str(record["id"])},
        number=record.get("tranId"), customer_id=customer_id,
        legal_entity=ref.subsidiary_code(_ref_id(record, "subsidiary") or ""),
        currency=currency,
        status=InvoiceStatus.PAID if remaining is not None and _decimal(remaining) == 0
        else InvoiceStatus.OPEN,
        lines=lines, tax_lines=tax_lines, subtotal=subtotal,
        discount_total=discount if not discount.is_zero() else None, tax_total=tax_total,
        total=total, amount_paid=paid, issue_date=_date(record["tranDate"]),
        due_date=_date(record["dueDate"]) if record.get("dueDate") else None,
        po_number=record.get("otherRefNum"))


def credit_note_to_netsuite(note: CreditNote, ref: RefData, *, apply: bool = True,
                            accounts: Sequence[str | None] | None = None) -> Body:
    """A credit memo created from, and (unless ``apply`` is off) applied to, its invoice."""
    return _compact({
        "externalId": note.id, "tranId": note.number,
        "entity": {"externalId": note.customer_id},
        "createdFrom": {"externalId": note.invoice_id},
        "currency": {"id": ref.currency_id(note.currency)},
        "tranDate": note.issue_date.isoformat(), "memo": note.reason.value,
        "item": {"items": _item_lines(note.lines, ref, accounts)},
        "taxDetails": {"items": _tax_details(note.tax_lines)},
        "apply": {"items": [{"doc": {"externalId": note.invoice_id}, "apply": True,
                             "amount": note.total.amount}]} if apply else None,
    })


def credit_note_from_netsuite(record: Mapping[str, Any], ref: RefData, *, customer_id: str,
                              invoice_id: str) -> CreditNote:
    currency = ref.currency_code(_ref_id(record, "currency") or "")
    raw_lines, _ = _document_lines(record, ref, currency)
    lines = tuple(CreditNoteLine(
        description=raw["line"].get("description") or "item",
        product_sku=ref.sku(raw["item_id"]) if raw["item_id"] else None,
        quantity=_decimal(raw["line"].get("quantity") or 1), amount=raw["amount"])
        for raw in raw_lines)
    tax_lines = _tax_lines(record, currency)
    subtotal = money_sum((line.amount for line in lines), currency)
    tax_total = money_sum((tax.amount for tax in tax_lines), currency)
    memo = record.get("memo")
    reason = CreditNoteReason(memo) if memo in {r.value for r in CreditNoteReason} \
        else CreditNoteReason.OTHER
    return CreditNote(
        id=_canonical_id(record, "crn"), external_ids={SYSTEM: str(record["id"])},
        number=record.get("tranId") or str(record["id"]), invoice_id=invoice_id,
        customer_id=customer_id, currency=currency, lines=lines, tax_lines=tax_lines,
        subtotal=subtotal, tax_total=tax_total, total=subtotal + tax_total, reason=reason,
        issue_date=_date(record["tranDate"]))


# -- payments and refunds ------------------------------------------------------------------
def payment_to_netsuite(payment: Payment, ref: RefData) -> Body:
    """A customer payment into undeposited funds, applied to the allocated invoices."""
    if payment.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED,
                              PaymentStatus.PARTIALLY_REFUNDED):
        raise DataQualityError("status", f"a {payment.status.value} payment does not post to "
                               "NetSuite", owner=Team.FINANCE_OPERATIONS, system=SYSTEM)
    return _compact({
        "externalId": payment.id, "customer": {"externalId": payment.customer_id},
        "currency": {"id": ref.currency_id(payment.amount.currency)},
        "tranDate": payment.received_at.astimezone(UTC).date().isoformat(),
        "payment": payment.amount.amount, "undepFunds": True,
        "paymentMethod": payment.method.value,
        "apply": {"items": [{"doc": {"externalId": allocation.invoice_id}, "apply": True,
                             "amount": allocation.amount.amount}
                            for allocation in payment.allocations]},
    })


def payment_from_netsuite(record: Mapping[str, Any], ref: RefData, *, customer_id: str,
                          invoice_ids: Mapping[str, str]) -> Payment:
    """``invoice_ids`` maps NetSuite invoice internal ids to canonical invoice ids."""
    currency = ref.currency_code(_ref_id(record, "currency") or "")
    allocations = tuple(
        Allocation(invoice_id=invoice_ids[str(line["doc"]["id"])],
                   amount=Money.of(_decimal(line["amount"]), currency))
        for line in _items(record, "apply") if line.get("apply", True))
    method = record.get("paymentMethod")
    return Payment(
        id=_canonical_id(record, "pay"), external_ids={SYSTEM: str(record["id"])},
        customer_id=customer_id, amount=Money.of(_decimal(record["payment"]), currency),
        method=PaymentMethodKind(method) if method in {m.value for m in PaymentMethodKind}
        else PaymentMethodKind.OTHER,
        status=PaymentStatus.SUCCEEDED, allocations=allocations,
        received_at=datetime.combine(_date(record["tranDate"]), datetime.min.time(), UTC))


def refund_to_netsuite(refund: Refund, ref: RefData) -> Body:
    """A customer refund paid from cash, applied to the credit memo (or the payment)."""
    if refund.status is not RefundStatus.SUCCEEDED:
        raise DataQualityError("status", f"a {refund.status.value} refund does not post to "
                               "NetSuite", owner=Team.FINANCE_OPERATIONS, system=SYSTEM)
    source = refund.credit_note_id or refund.payment_id
    return {
        "externalId": refund.id, "customer": {"externalId": refund.customer_id},
        "currency": {"id": ref.currency_id(refund.amount.currency)},
        "tranDate": refund.refunded_at.astimezone(UTC).date().isoformat(),
        "account": {"id": ref.roles.cash}, "memo": refund.reason,
        "apply": {"items": [{"doc": {"externalId": source}, "apply": True,
                             "amount": refund.amount.amount}]},
    }


def refund_from_netsuite(record: Mapping[str, Any], ref: RefData, *, customer_id: str,
                         payment_id: str, credit_note_id: str | None) -> Refund:
    currency = ref.currency_code(_ref_id(record, "currency") or "")
    amount = sum((_decimal(line["amount"]) for line in _items(record, "apply")
                  if line.get("apply", True)), Decimal(0))
    return Refund(
        id=_canonical_id(record, "ref"), external_ids={SYSTEM: str(record["id"])},
        payment_id=payment_id, customer_id=customer_id, amount=Money.of(amount, currency),
        reason=record.get("memo") or "requested_by_customer", status=RefundStatus.SUCCEEDED,
        refunded_at=datetime.combine(_date(record["tranDate"]), datetime.min.time(), UTC),
        credit_note_id=credit_note_id)


# -- journal entries -----------------------------------------------------------------------
def journal_to_netsuite(entry: JournalEntry, ref: RefData, *, period_id: str | None = None
                        ) -> Body:
    """``period_id`` is the accountingPeriod internal id; the reference data's explicit
    period ids are used when it is not given, else NetSuite derives it from ``tranDate``."""
    subsidiary = ref.subsidiary(entry.legal_entity)
    lines = []
    for index, line in enumerate(entry.lines):
        base = f"lines.{index}"
        segments = {
            "department": ref.segment_id("departments", line.department, f"{base}.department"),
            "class": ref.segment_id("classes", line.gl_class, f"{base}.gl_class"),
            "location": ref.segment_id("locations", line.location, f"{base}.location")}
        lines.append(_compact({
            "account": {"id": ref.account_id(line.account, f"{base}.account")},
            "debit" if line.side is Side.DEBIT else "credit": line.amount.amount,
            "memo": line.memo,
            **{key: {"id": value} for key, value in segments.items() if value is not None}}))
    period = period_id or ref.periods.ids.get(entry.period)
    return _compact({
        "externalId": entry.id, "subsidiary": {"id": subsidiary.id},
        "currency": {"id": ref.currency_id(entry.currency)},
        "tranDate": entry.entry_date.isoformat(),
        "postingPeriod": {"id": period} if period else None,
        "memo": entry.memo, "tranId": entry.source_document,
        "line": {"items": lines},
    })


def journal_from_netsuite(record: Mapping[str, Any], ref: RefData) -> JournalEntry:
    currency = ref.currency_code(_ref_id(record, "currency") or "")
    lines = []
    for line in _items(record, "line"):
        debit = line.get("debit")
        side = Side.DEBIT if debit is not None else Side.CREDIT
        amount = _decimal(debit if debit is not None else line["credit"])
        lines.append(JournalLine(
            account=ref.account_number(_ref_id(line, "account") or ""), side=side,
            amount=Money.of(amount, currency), memo=line.get("memo"),
            department=ref.segment_name("departments", _ref_id(line, "department")),
            gl_class=ref.segment_name("classes", _ref_id(line, "class")),
            location=ref.segment_name("locations", _ref_id(line, "location"))))
    entry_date = _date(record["tranDate"])
    return JournalEntry(
        id=_canonical_id(record, "jnl"), external_ids={SYSTEM: str(record["id"])},
        legal_entity=ref.subsidiary_code(_ref_id(record, "subsidiary") or ""),
        period=entry_date.strftime("%Y-%m"), entry_date=entry_date, currency=currency,
        lines=tuple(lines), memo=record.get("memo"), source_document=record.get("tranId"))


__all__ = [
    "credit_note_from_netsuite", "credit_note_to_netsuite", "customer_from_netsuite",
    "customer_to_netsuite", "invoice_from_netsuite", "invoice_to_netsuite",
    "journal_from_netsuite", "journal_to_netsuite", "payment_from_netsuite",
    "payment_to_netsuite", "product_from_netsuite", "product_to_netsuite",
    "refund_from_netsuite", "refund_to_netsuite",
]
