"""Pure functions between Salesforce records and canonical entities.

| Salesforce                              | canonical                     |
|-----------------------------------------|-------------------------------|
| Account                                 | Customer                      |
| Opportunity (closed won) + line items   | Contract (an order with lines)|
| Product2                                | Product                       |
| PricebookEntry                          | Price                         |
| Contract.Subscription_Status__c         | SubscriptionStatus            |

Amounts are read as Decimals (the client parses JSON with ``parse_float=Decimal``); a float
reaching this module is refused rather than rounded. Currencies come from
``CurrencyIsoCode`` (multi-currency orgs). A record that cannot become a valid canonical
entity raises :class:`~accord.errors.DataQualityError` naming the Salesforce field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from accord.canonical import (
    Address,
    Contact,
    ContactRole,
    Contract,
    ContractLine,
    ContractStatus,
    Customer,
    CustomerStatus,
    IntervalUnit,
    Money,
    Price,
    Product,
    ProductKind,
    Recurrence,
    SubscriptionStatus,
    TaxIdKind,
    TaxProfile,
    TaxRegistration,
)
from accord.connectors.records import AddressFields, RecordFields, term_end
from accord.connectors.salesforce.errors import SYSTEM
from accord.errors import Team

SfRecord = Mapping[str, Any]


class BillingStatus(StrEnum):
    """Values of the ``Billing_Status__c`` picklist accord writes back."""

    NOT_SYNCED = "Not Synced"
    PENDING = "Pending"
    SYNCED = "Synced"
    ACTIVE = "Active"
    PAST_DUE = "Past Due"
    CANCELED = "Canceled"
    ERROR = "Error"


FIELDS = RecordFields(SYSTEM)
_quality = FIELDS.quality
_text = FIELDS.text
_date = FIELDS.date


def decimal_of(record: SfRecord, field: str, *, required: bool = True) -> Decimal | None:
    value = record.get(field)
    if value is None:
        if required:
            raise _quality(field, "is empty")
        return None
    if isinstance(value, float | bool):
        raise TypeError(f"{field}: got a float; parse Salesforce JSON with parse_float=Decimal")
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError):
        raise _quality(field, f"{value!r} is not a number") from None


def _canonical_id(record: SfRecord) -> str | None:
    return FIELDS.canonical_id(record, "Accord_Id__c")


def _currency(record: SfRecord) -> str:
    return _text(record, "CurrencyIsoCode").upper()


def _external_ids(record: SfRecord, **others: str) -> dict[str, str]:
    ids = {SYSTEM: str(record["Id"])} if record.get("Id") else {}
    ids.update({system: str(record[field]) for system, field in others.items()
                if record.get(field)})
    return ids


# -- Account <-> Customer -----------------------------------------------------------------
def _address(record: SfRecord, prefix: str) -> Address | None:
    return FIELDS.address(record, AddressFields(
        street=f"{prefix}Street", city=f"{prefix}City", region=f"{prefix}State",
        postal_code=f"{prefix}PostalCode", country=f"{prefix}Country"))


def account_to_customer(record: SfRecord, *, default_legal_entity: str) -> Customer:
    billing = _address(record, "Billing")
    vat = record.get("VAT_Number__c")
    registrations: tuple[TaxRegistration, ...] = ()
    if vat:
        if billing is None:
            raise _quality("BillingCountry", "needed to file the VAT number", Team.MASTER_DATA)
        registrations = (TaxRegistration(country=billing.country, kind=TaxIdKind.VAT,
                                         value=str(vat)),)
    email = record.get("Billing_Email__c")
    contacts = (Contact(name=_text(record, "Name", owner=Team.MASTER_DATA), email=email,
                        role=ContactRole.BILLING),) if email else ()
    website = str(record.get("Website") or "")
    domain = re.sub(r"^https?://(www\.)?", "", website).split("/")[0] or None
    return Customer(
        id=_canonical_id(record),
        external_ids=_external_ids(record, stripe="Stripe_Customer_Id__c",
                                   netsuite="NetSuite_Customer_Id__c"),
        legal_name=_text(record, "Name", owner=Team.MASTER_DATA),
        legal_entity=record.get("Legal_Entity__c") or default_legal_entity,
        currency=_currency(record),
        billing_address=billing,
        shipping_address=_address(record, "Shipping"),
        tax_profile=TaxProfile(registrations=registrations),
        contacts=contacts,
        domain=domain,
        status=CustomerStatus.PROSPECT if record.get("Type") == "Prospect"
        else CustomerStatus.ACTIVE,
    )


def _address_fields(address: Address | None, prefix: str) -> dict[str, Any]:
    if address is None:
        return {}
    street = address.line1 + (f"\n{address.line2}" if address.line2 else "")
    return {f"{prefix}Street": street, f"{prefix}City": address.city,
            f"{prefix}State": address.region, f"{prefix}PostalCode": address.postal_code,
            f"{prefix}Country": address.country}


def customer_to_account(customer: Customer) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "Name": customer.legal_name,
        "Accord_Id__c": customer.id,
        "Legal_Entity__c": customer.legal_entity,
        "CurrencyIsoCode": customer.currency,
        "Type": "Prospect" if customer.status is CustomerStatus.PROSPECT
        else "Customer - Direct",
        **_address_fields(customer.billing_address, "Billing"),
        **_address_fields(customer.shipping_address, "Shipping"),
    }
    vat = next((r.value for r in customer.tax_profile.registrations
                if r.kind is TaxIdKind.VAT), None)
    if vat:
        fields["VAT_Number__c"] = vat
    contact = customer.billing_contact
    if contact is not None:
        fields["Billing_Email__c"] = str(contact.email)
    if customer.domain:
        fields["Website"] = f"https://{customer.domain}"
    for system, field in (("stripe", "Stripe_Customer_Id__c"),
                          ("netsuite", "NetSuite_Customer_Id__c")):
        if system in customer.external_ids:
            fields[field] = customer.external_ids[system]
    return fields


# -- Product2 / PricebookEntry <-> Product / Price ----------------------------------------
_KIND_TO_BILLING = {ProductKind.RECURRING: "Recurring", ProductKind.ONE_TIME: "One-Time",
                    ProductKind.USAGE: "Usage", ProductKind.SERVICE: "Service"}
_BILLING_TO_KIND = {value: key for key, value in _KIND_TO_BILLING.items()}
_FAMILY = {ProductKind.RECURRING: "Subscription", ProductKind.USAGE: "Usage",
           ProductKind.SERVICE: "Services", ProductKind.ONE_TIME: "Hardware"}


def product2_to_product(record: SfRecord) -> Product:
    billing_type = record.get("Billing_Type__c")
    if billing_type not in _BILLING_TO_KIND:
        raise _quality("Billing_Type__c", f"{billing_type!r} does not say how it is billed")
    return Product(
        id=_canonical_id(record), external_ids=_external_ids(record),
        sku=_text(record, "ProductCode"), name=_text(record, "Name"),
        kind=_BILLING_TO_KIND[billing_type],
        revenue_category=record.get("Revenue_Category__c") or "subscription",
        description=record.get("Description") or None, active=bool(record.get("IsActive")))


def product_to_product2(product: Product) -> dict[str, Any]:
    return {"Name": product.name, "ProductCode": product.sku, "Accord_Id__c": product.id,
            "Description": product.description, "IsActive": product.active,
            "Billing_Type__c": _KIND_TO_BILLING[product.kind], "Family": _FAMILY[product.kind],
            "Revenue_Category__c": product.revenue_category}


_FREQUENCY = {"Monthly": Recurrence(interval=IntervalUnit.MONTH),
              "Quarterly": Recurrence(interval=IntervalUnit.MONTH, count=3),
              "Annual": Recurrence(interval=IntervalUnit.YEAR)}


def _frequency(recurrence: Recurrence | None) -> str:
    if recurrence is None:
        return "One-Time"
    for name, known in _FREQUENCY.items():
        if known == recurrence:
            return name
    raise _quality("Billing_Frequency__c", f"{recurrence.count} {recurrence.interval} has no "
                   "Salesforce billing frequency")


def entry_to_price(record: SfRecord, *, product_id: str) -> Price:
    currency = _currency(record)
    frequency = record.get("Billing_Frequency__c") or "One-Time"
    if frequency != "One-Time" and frequency not in _FREQUENCY:
        raise _quality("Billing_Frequency__c", f"{frequency!r} is not a billing frequency")
    amount = decimal_of(record, "UnitPrice") or Decimal(0)
    return Price(id=_canonical_id(record), external_ids=_external_ids(record),
                 product_id=product_id, currency=currency,
                 unit_amount=Money.of(amount, currency),
                 recurrence=_FREQUENCY.get(frequency), active=bool(record.get("IsActive")))


def price_to_entry(price: Price, *, product2_id: str, pricebook2_id: str) -> dict[str, Any]:
    if price.unit_amount is None:
        raise _quality("UnitPrice", "tiered prices have no single list price in a price book")
    return {"Pricebook2Id": pricebook2_id, "Product2Id": product2_id,
            "UnitPrice": price.unit_amount.amount, "CurrencyIsoCode": price.currency,
            "IsActive": price.active, "Billing_Frequency__c": _frequency(price.recurrence),
            "Accord_Id__c": price.id}


# -- Opportunity + line items <-> Contract ------------------------------------------------
def is_closed_won(opportunity: SfRecord) -> bool:
    """Closed-won: ``IsWon`` (a stage whose outcome is won), or the stage itself."""
    return opportunity.get("IsWon") is True or opportunity.get("StageName") == "Closed Won"


def line_to_contract_line(line: SfRecord, currency: str) -> ContractLine:
    quantity = decimal_of(line, "Quantity") or Decimal(0)
    unit_price = decimal_of(line, "UnitPrice") or Decimal(0)
    discount = decimal_of(line, "Discount", required=False) or Decimal(0)
    if quantity <= 0:
        raise _quality("Quantity", "must be positive")
    return ContractLine(product_sku=_text(line, "ProductCode"),
                        description=line.get("Description") or None, quantity=quantity,
                        unit_price=Money.of(unit_price, currency), discount_percent=discount)


def opportunity_to_contract(opportunity: SfRecord, lines: Sequence[SfRecord], *,
                            customer_id: str, default_legal_entity: str) -> Contract:
    """The canonical order of a closed-won opportunity with its line items."""
    if not is_closed_won(opportunity):
        raise _quality("StageName", f"{opportunity.get('StageName')!r} is not closed won")
    if not lines:
        raise _quality("OpportunityLineItem", "a closed-won opportunity needs products")
    currency = _currency(opportunity)
    term = FIELDS.term_months(decimal_of(opportunity, "Contract_Term_Months__c",
                                         required=False), "Contract_Term_Months__c")
    start = _date(opportunity, "Contract_Start_Date__c") or _date(opportunity, "CloseDate")
    if start is None:
        raise _quality("CloseDate", "is empty")
    return Contract(
        id=_canonical_id(opportunity),
        external_ids=_external_ids(opportunity, stripe="Stripe_Subscription_Id__c",
                                   netsuite="NetSuite_Sales_Order_Id__c"),
        customer_id=customer_id,
        legal_entity=opportunity.get("Legal_Entity__c") or default_legal_entity,
        currency=currency,
        lines=tuple(line_to_contract_line(line, currency) for line in lines),
        term_months=term, start_date=start, end_date=term_end(start, term),
        po_number=opportunity.get("PO_Number__c") or None,
        deal_id=str(opportunity["Id"]) if opportunity.get("Id") else None,
        status=ContractStatus.APPROVED,
    )


def contract_to_opportunity(contract: Contract, *, account_id: str | None = None
                            ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Opportunity fields and line item fields for a canonical contract (``PricebookEntryId``
    is resolved by the caller from each line's product code)."""
    opportunity: dict[str, Any] = {
        "Name": f"{contract.legal_entity} {contract.start_date.isoformat()}",
        "AccountId": account_id, "StageName": "Closed Won",
        "CloseDate": contract.start_date, "CurrencyIsoCode": contract.currency,
        "Contract_Term_Months__c": Decimal(contract.term_months),
        "Contract_Start_Date__c": contract.start_date, "PO_Number__c": contract.po_number,
        "Legal_Entity__c": contract.legal_entity, "Accord_Id__c": contract.id,
    }
    lines = [{"ProductCode": line.product_sku, "Quantity": line.quantity,
              "UnitPrice": line.unit_price.amount, "Discount": line.discount_percent,
              "Description": line.description} for line in contract.lines]
    return opportunity, lines


# -- Contract <-> subscription status -----------------------------------------------------
_SUBSCRIPTION = {
    SubscriptionStatus.INCOMPLETE: ("Incomplete", BillingStatus.PENDING),
    SubscriptionStatus.TRIALING: ("Trialing", BillingStatus.ACTIVE),
    SubscriptionStatus.ACTIVE: ("Active", BillingStatus.ACTIVE),
    SubscriptionStatus.PAST_DUE: ("Past Due", BillingStatus.PAST_DUE),
    SubscriptionStatus.UNPAID: ("Unpaid", BillingStatus.PAST_DUE),
    SubscriptionStatus.PAUSED: ("Paused", BillingStatus.SYNCED),
    SubscriptionStatus.CANCELED: ("Canceled", BillingStatus.CANCELED),
}
_FROM_PICKLIST = {label: status for status, (label, _billing) in _SUBSCRIPTION.items()}


def subscription_status_fields(status: SubscriptionStatus) -> dict[str, str]:
    """Contract fields that show a subscription's status in Salesforce."""
    label, billing = _SUBSCRIPTION[status]
    return {"Subscription_Status__c": label, "Billing_Status__c": billing.value}


def contract_subscription_status(record: SfRecord) -> SubscriptionStatus | None:
    value = record.get("Subscription_Status__c")
    if value is None:
        return None
    if value not in _FROM_PICKLIST:
        raise _quality("Subscription_Status__c", f"{value!r} is not a subscription status")
    return _FROM_PICKLIST[value]


CREATE_ONLY_FIELDS: dict[str, tuple[str, ...]] = {
    "PricebookEntry": ("Pricebook2Id", "Product2Id", "CurrencyIsoCode"),
    "OpportunityLineItem": ("OpportunityId", "PricebookEntryId"),
}


def update_fields(type_name: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """``fields`` without those Salesforce accepts only on create (an update that names them
    is refused with INVALID_FIELD_FOR_INSERT_UPDATE)."""
    skip = CREATE_ONLY_FIELDS.get(type_name, ())
    return {key: value for key, value in fields.items() if key not in skip}


def strip_attributes(record: SfRecord) -> dict[str, Any]:
    """A record without the ``attributes`` envelopes (nested parents included)."""
    return {key: strip_attributes(value) if isinstance(value, Mapping) else value
            for key, value in record.items() if key != "attributes"}


__all__ = [
    "CREATE_ONLY_FIELDS",
    "BillingStatus",
    "account_to_customer",
    "contract_subscription_status",
    "contract_to_opportunity",
    "customer_to_account",
    "decimal_of",
    "entry_to_price",
    "is_closed_won",
    "line_to_contract_line",
    "opportunity_to_contract",
    "price_to_entry",
    "product2_to_product",
    "product_to_product2",
    "strip_attributes",
    "subscription_status_fields",
    "update_fields",
]
