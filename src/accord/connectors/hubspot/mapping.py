"""Pure functions between HubSpot records and canonical entities.

| HubSpot                                     | canonical                      |
|---------------------------------------------|--------------------------------|
| company (+ its contacts)                    | Customer                       |
| deal in ``closedwon`` + its line items      | Contract (an order with lines) |
| product (``hs_price_<currency>`` per price) | Product and its list Prices    |

Every property value arrives as a string, so amounts become Decimals straight from the
text. A record that cannot become a valid canonical entity raises
:class:`~accord.errors.DataQualityError` naming the HubSpot property a person fixes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from accord.canonical import (
    Contact,
    ContactRole,
    Contract,
    ContractLine,
    ContractStatus,
    Customer,
    IntervalUnit,
    Money,
    Price,
    Product,
    ProductKind,
    Recurrence,
    TaxIdKind,
    TaxProfile,
    TaxRegistration,
)
from accord.connectors.hubspot.errors import SYSTEM
from accord.connectors.records import AddressFields, Record, RecordFields, term_end
from accord.errors import Team

WON_STAGE = "closedwon"
COMPANY_PROPERTIES = ("name", "domain", "address", "city", "state", "zip", "country",
                      "legal_entity", "vat_number", "billing_email", "currency_code",
                      "accord_id", "billing_customer_id", "erp_customer_id")
COMPANY_CHANGE_PROPERTIES = (*COMPANY_PROPERTIES, "billing_status", "hs_lastmodifieddate")
DEAL_PROPERTIES = ("dealname", "dealstage", "pipeline", "closedate", "deal_currency_code",
                   "dealtype", "legal_entity", "contract_term_months", "contract_start_date",
                   "accord_id", "billing_subscription_id", "amount")
LINE_PROPERTIES = ("name", "hs_sku", "hs_product_id", "quantity", "price", "description",
                   "hs_line_item_currency_code")
CONTACT_PROPERTIES = ("email", "firstname", "lastname", "phone")
_KIND_TO_BILLING = {ProductKind.RECURRING: "recurring", ProductKind.ONE_TIME: "one_time",
                    ProductKind.USAGE: "usage", ProductKind.SERVICE: "service"}
_FREQUENCY = {"monthly": Recurrence(interval=IntervalUnit.MONTH),
              "quarterly": Recurrence(interval=IntervalUnit.MONTH, count=3),
              "per_six_months": Recurrence(interval=IntervalUnit.MONTH, count=6),
              "annually": Recurrence(interval=IntervalUnit.YEAR)}


FIELDS = RecordFields(SYSTEM)
_quality = FIELDS.quality
_text = FIELDS.text
_date = FIELDS.date
_ADDRESS = AddressFields(street="address", city="city", region="state", postal_code="zip",
                         country="country")


def decimal_of(record: Record, field: str, *, required: bool = True) -> Decimal | None:
    value = record.get(field)
    if value in (None, ""):
        if required:
            raise _quality(field, "is empty")
        return None
    if isinstance(value, float | bool):
        raise TypeError(f"{field}: got a {type(value).__name__}; HubSpot sends strings")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise _quality(field, f"{value!r} is not a number") from None


def canonical_id(record: Record) -> str | None:
    return FIELDS.canonical_id(record, "accord_id")


def billing_contact(company: Record, contacts: Sequence[Record]) -> Contact | None:
    """The company's ``billing_email``, else the first associated contact with an email."""
    name = str(company.get("name") or "").strip() or "Billing"
    if company.get("billing_email"):
        return Contact(name=name, email=str(company["billing_email"]),
                       role=ContactRole.BILLING)
    for contact in contacts:
        if contact.get("email"):
            full = " ".join(str(contact.get(part) or "").strip()
                            for part in ("firstname", "lastname")).strip()
            return Contact(name=full or name, email=str(contact["email"]),
                           role=ContactRole.BILLING, phone=contact.get("phone") or None)
    return None


def company_to_customer(company: Record, *, contacts: Sequence[Record] = (),
                        currency: str | None = None, default_legal_entity: str) -> Customer:
    """A company (with its contacts) as a customer; ``currency`` when it keeps none."""
    billing = FIELDS.address(company, _ADDRESS)
    registrations: tuple[TaxRegistration, ...] = ()
    if company.get("vat_number"):
        if billing is None:
            raise _quality("country", "needed to file the VAT number", Team.MASTER_DATA)
        registrations = (TaxRegistration(country=billing.country, kind=TaxIdKind.VAT,
                                         value=str(company["vat_number"])),)
    code = str(company.get("currency_code") or currency or "").upper()
    if not code:
        raise _quality("currency_code", "the company keeps no currency and no deal names one")
    contact = billing_contact(company, contacts)
    external = {SYSTEM: str(company["id"])} if company.get("id") else {}
    domain = re.sub(r"^https?://(www\.)?", "", str(company.get("domain") or "")).split("/")[0]
    return Customer(
        id=canonical_id(company), external_ids=external,
        legal_name=_text(company, "name", owner=Team.MASTER_DATA),
        legal_entity=company.get("legal_entity") or default_legal_entity,
        currency=code, billing_address=billing,
        tax_profile=TaxProfile(registrations=registrations),
        contacts=(contact,) if contact else (), domain=domain or None)


def customer_to_company(customer: Customer) -> dict[str, Any]:
    """The company properties of a customer (the inverse of :func:`company_to_customer`)."""
    address = customer.billing_address
    contact = customer.billing_contact
    vat = next((r.value for r in customer.tax_profile.registrations
                if r.kind is TaxIdKind.VAT), None)
    street = "\n".join(filter(None, [address.line1, address.line2])) if address else None
    return {"name": customer.legal_name, "domain": customer.domain,
            "address": street, "city": address.city if address else None,
            "state": address.region if address else None,
            "zip": address.postal_code if address else None,
            "country": address.country if address else None,
            "legal_entity": customer.legal_entity, "currency_code": customer.currency,
            "vat_number": vat, "billing_email": str(contact.email) if contact else None,
            "accord_id": customer.id}


def contract_line_to_line(line: ContractLine) -> dict[str, Any]:
    """A line item's properties for a contract line (its product is found by SKU)."""
    return {"hs_sku": line.product_sku, "quantity": str(line.quantity),
            "price": str(line.unit_price.amount), "description": line.description,
            "hs_line_item_currency_code": line.unit_price.currency}


def line_to_contract_line(line: Record, currency: str) -> ContractLine:
    quantity = decimal_of(line, "quantity") or Decimal(0)
    if quantity <= 0:
        raise _quality("quantity", "must be positive")
    unit_price = decimal_of(line, "price") or Decimal(0)
    return ContractLine(product_sku=_text(line, "hs_sku"),
                        description=line.get("description") or None, quantity=quantity,
                        unit_price=Money.of(unit_price, currency))


def deal_currency(deal: Record) -> str:
    return _text(deal, "deal_currency_code").upper()


def deal_to_contract(deal: Record, lines: Sequence[Record], *, customer_id: str,
                     default_legal_entity: str) -> Contract:
    """The canonical order of a won deal with its line items."""
    if deal.get("dealstage") != WON_STAGE:
        raise _quality("dealstage", f"{deal.get('dealstage')!r} is not closed won")
    if not lines:
        raise _quality("line_items", "a won deal needs line items")
    currency = deal_currency(deal)
    term = FIELDS.term_months(decimal_of(deal, "contract_term_months", required=False),
                              "contract_term_months")
    start = _date(deal, "contract_start_date") or _date(deal, "closedate")
    if start is None:
        raise _quality("closedate", "is empty")
    return Contract(
        id=canonical_id(deal), external_ids={SYSTEM: str(deal["id"])} if deal.get("id") else {},
        customer_id=customer_id,
        legal_entity=deal.get("legal_entity") or default_legal_entity, currency=currency,
        lines=tuple(line_to_contract_line(line, currency) for line in lines),
        term_months=term, start_date=start, end_date=term_end(start, term),
        deal_id=str(deal["id"]) if deal.get("id") else None, status=ContractStatus.APPROVED)


def _frequency(recurrence: Recurrence | None) -> str | None:
    if recurrence is None:
        return None
    for name, known in _FREQUENCY.items():
        if known == recurrence:
            return name
    raise _quality("recurringbillingfrequency", f"{recurrence.count} {recurrence.interval} "
                   "has no HubSpot billing frequency")


def price_property(currency: str) -> str:
    return f"hs_price_{currency.lower()}"


def product_properties(product: Product, prices: Sequence[Price]) -> dict[str, Any]:
    """A product's properties, with each list price under ``hs_price_<currency>``."""
    found: dict[str, Any] = {"name": product.name, "hs_sku": product.sku,
                             "description": product.description or "",
                             "billing_type": _KIND_TO_BILLING[product.kind],
                             "revenue_category": product.revenue_category}
    for price in prices:
        if price.unit_amount is None:
            raise _quality(price_property(price.currency), "tiered prices have no single "
                           "list price on a HubSpot product")
        found[price_property(price.currency)] = str(price.unit_amount.amount)
        frequency = _frequency(price.recurrence)
        if frequency is not None:
            found["recurringbillingfrequency"] = frequency
    return found


__all__ = ["COMPANY_CHANGE_PROPERTIES", "COMPANY_PROPERTIES", "CONTACT_PROPERTIES",
           "DEAL_PROPERTIES", "LINE_PROPERTIES", "WON_STAGE", "billing_contact",
           "canonical_id", "company_to_customer", "contract_line_to_line",
           "customer_to_company", "deal_currency", "deal_to_contract",
           "decimal_of", "line_to_contract_line", "price_property", "product_properties"]
