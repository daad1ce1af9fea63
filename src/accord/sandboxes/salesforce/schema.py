"""Object definitions the sandbox emulates: fields, types, picklists, relationships.

Each :class:`ObjectDef` describes one sObject as ``describe`` reports it. Validation
(:mod:`.validation`), SOQL (:mod:`.soql`) and ``describe`` all read these definitions, so a
field added here is creatable, queryable and described at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class FieldType(StrEnum):
    ID = "id"
    STRING = "string"
    TEXTAREA = "textarea"
    PICKLIST = "picklist"
    BOOLEAN = "boolean"
    CURRENCY = "currency"
    DOUBLE = "double"
    PERCENT = "percent"
    INT = "int"
    DATE = "date"
    DATETIME = "datetime"
    REFERENCE = "reference"
    EMAIL = "email"
    PHONE = "phone"
    URL = "url"


NUMERIC = frozenset({FieldType.CURRENCY, FieldType.DOUBLE, FieldType.PERCENT, FieldType.INT})
TEXTUAL = frozenset({FieldType.ID, FieldType.STRING, FieldType.TEXTAREA, FieldType.PICKLIST,
                     FieldType.REFERENCE, FieldType.EMAIL, FieldType.PHONE, FieldType.URL})


@dataclass(frozen=True)
class FieldDef:
    """One field. ``required`` means not nillable on create (Salesforce's 'required');
    ``writable`` False marks system or formula fields (read-only)."""

    name: str
    type: FieldType
    label: str = ""
    required: bool = False
    writable: bool = True
    updateable: bool = True
    picklist: tuple[str, ...] = ()
    restricted: bool = True
    external_id: bool = False
    unique: bool = False
    reference_to: str | None = None
    relationship_name: str | None = None
    default: object = None
    length: int = 255


@dataclass(frozen=True)
class ObjectDef:
    name: str
    key_prefix: str
    label: str
    fields: tuple[FieldDef, ...]
    label_plural: str = ""
    by_name: dict[str, FieldDef] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {f.name.lower(): f for f in self.fields})

    def field(self, name: str) -> FieldDef | None:
        return self.by_name.get(name.lower())

    def relationship(self, name: str) -> FieldDef | None:
        """The reference field whose relationship name is ``name`` (``Account`` -> AccountId)."""
        lowered = name.lower()
        for candidate in self.fields:
            if candidate.relationship_name and candidate.relationship_name.lower() == lowered:
                return candidate
        return None

    @property
    def external_id_fields(self) -> tuple[FieldDef, ...]:
        return tuple(f for f in self.fields if f.external_id)


CURRENCIES = ("USD", "EUR", "GBP", "JPY", "CAD", "AUD", "CHF")
BILLING_STATUS = ("Not Synced", "Pending", "Synced", "Active", "Past Due", "Canceled", "Error")
STAGES = ("Prospecting", "Qualification", "Needs Analysis", "Value Proposition",
          "Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost")
CLOSED_STAGES = {"Closed Won": True, "Closed Lost": False}
CONTRACT_STATUS = ("Draft", "In Approval Process", "Activated")
SUBSCRIPTION_STATUS = ("Incomplete", "Trialing", "Active", "Past Due", "Unpaid", "Paused",
                       "Canceled")
BILLING_FREQUENCY = ("Monthly", "Quarterly", "Annual", "One-Time")
BILLING_TYPE = ("Recurring", "One-Time", "Usage", "Service")


def _system(owner: str) -> tuple[FieldDef, ...]:
    return (
        FieldDef("Id", FieldType.ID, f"{owner} ID", writable=False, updateable=False),
        _ro("IsDeleted", FieldType.BOOLEAN),
        _ro("CreatedDate", FieldType.DATETIME),
        _ro("CreatedById", FieldType.REFERENCE),
        _ro("LastModifiedDate", FieldType.DATETIME),
        _ro("LastModifiedById", FieldType.REFERENCE),
        _ro("SystemModstamp", FieldType.DATETIME),
    )


def _ref(name: str, target: str, relationship: str, *, required: bool = False,
         updateable: bool = True) -> FieldDef:
    return FieldDef(name, FieldType.REFERENCE, name, required=required, reference_to=target,
                    relationship_name=relationship, updateable=updateable)


def _ro(name: str, kind: FieldType) -> FieldDef:
    return FieldDef(name, kind, name, writable=False, updateable=False)


def _currency_iso() -> FieldDef:
    return FieldDef("CurrencyIsoCode", FieldType.PICKLIST, "Currency ISO Code",
                    picklist=CURRENCIES, default="USD", length=3)


def _accord_id() -> FieldDef:
    return FieldDef("Accord_Id__c", FieldType.STRING, "Accord ID", external_id=True,
                    unique=True, length=64)


def _billing_status() -> FieldDef:
    return FieldDef("Billing_Status__c", FieldType.PICKLIST, "Billing Status",
                    picklist=BILLING_STATUS)


def _address(prefix: str) -> tuple[FieldDef, ...]:
    return tuple(FieldDef(f"{prefix}{part}", FieldType.STRING, f"{prefix} {part}")
                 for part in ("Street", "City", "State", "PostalCode", "Country"))


ACCOUNT = ObjectDef("Account", "001", "Account", label_plural="Accounts", fields=(
    *_system("Account"),
    FieldDef("Name", FieldType.STRING, "Account Name", required=True),
    FieldDef("Type", FieldType.PICKLIST, "Account Type",
             picklist=("Prospect", "Customer - Direct", "Customer - Channel", "Partner", "Other")),
    FieldDef("Industry", FieldType.PICKLIST, "Industry", restricted=False,
             picklist=("Technology", "Finance", "Manufacturing", "Retail", "Healthcare")),
    *_address("Billing"),
    *_address("Shipping"),
    FieldDef("Phone", FieldType.PHONE, "Account Phone"),
    FieldDef("Website", FieldType.URL, "Website"),
    _ref("ParentId", "Account", "Parent"),
    _currency_iso(),
    _accord_id(),
    FieldDef("Stripe_Customer_Id__c", FieldType.STRING, "Stripe Customer ID", external_id=True),
    FieldDef("NetSuite_Customer_Id__c", FieldType.STRING, "NetSuite Customer ID",
             external_id=True),
    _billing_status(),
    FieldDef("Legal_Entity__c", FieldType.STRING, "Legal Entity", length=32),
    FieldDef("VAT_Number__c", FieldType.STRING, "VAT Number", length=32),
    FieldDef("Billing_Email__c", FieldType.EMAIL, "Billing Email"),
))

CONTACT = ObjectDef("Contact", "003", "Contact", label_plural="Contacts", fields=(
    *_system("Contact"),
    FieldDef("LastName", FieldType.STRING, "Last Name", required=True),
    FieldDef("FirstName", FieldType.STRING, "First Name"),
    _ro("Name", FieldType.STRING),
    FieldDef("Email", FieldType.EMAIL, "Email"),
    FieldDef("Phone", FieldType.PHONE, "Business Phone"),
    FieldDef("Title", FieldType.STRING, "Title"),
    _ref("AccountId", "Account", "Account"),
    _currency_iso(),
    _accord_id(),
))

OPPORTUNITY = ObjectDef("Opportunity", "006", "Opportunity", label_plural="Opportunities",
                        fields=(
    *_system("Opportunity"),
    FieldDef("Name", FieldType.STRING, "Name", required=True),
    _ref("AccountId", "Account", "Account"),
    FieldDef("StageName", FieldType.PICKLIST, "Stage", required=True, picklist=STAGES),
    FieldDef("CloseDate", FieldType.DATE, "Close Date", required=True),
    FieldDef("Amount", FieldType.CURRENCY, "Amount"),
    FieldDef("Probability", FieldType.PERCENT, "Probability (%)"),
    _ro("IsWon", FieldType.BOOLEAN),
    _ro("IsClosed", FieldType.BOOLEAN),
    FieldDef("Type", FieldType.PICKLIST, "Opportunity Type",
             picklist=("New Business", "Existing Business - Upgrade", "Renewal")),
    FieldDef("Description", FieldType.TEXTAREA, "Description", length=32000),
    _currency_iso(),
    _ref("Pricebook2Id", "Pricebook2", "Pricebook2"),
    _ref("ContractId", "Contract", "Contract"),
    _accord_id(),
    _billing_status(),
    FieldDef("Stripe_Subscription_Id__c", FieldType.STRING, "Stripe Subscription ID",
             external_id=True),
    FieldDef("NetSuite_Sales_Order_Id__c", FieldType.STRING, "NetSuite Sales Order ID",
             external_id=True),
    FieldDef("Contract_Term_Months__c", FieldType.DOUBLE, "Contract Term (months)"),
    FieldDef("Contract_Start_Date__c", FieldType.DATE, "Contract Start Date"),
    FieldDef("PO_Number__c", FieldType.STRING, "PO Number", length=64),
    FieldDef("Legal_Entity__c", FieldType.STRING, "Legal Entity", length=32),
))

OPPORTUNITY_LINE_ITEM = ObjectDef("OpportunityLineItem", "00k", "Opportunity Product",
                                  label_plural="Opportunity Product", fields=(
    *_system("Line Item"),
    _ref("OpportunityId", "Opportunity", "Opportunity", required=True, updateable=False),
    _ref("PricebookEntryId", "PricebookEntry", "PricebookEntry", required=True,
         updateable=False),
    FieldDef("Product2Id", FieldType.REFERENCE, "Product ID", writable=False, updateable=False,
             reference_to="Product2", relationship_name="Product2"),
    _ro("ProductCode", FieldType.STRING),
    _ro("Name", FieldType.STRING),
    FieldDef("Quantity", FieldType.DOUBLE, "Quantity", required=True),
    FieldDef("UnitPrice", FieldType.CURRENCY, "Sales Price"),
    _ro("ListPrice", FieldType.CURRENCY),
    _ro("TotalPrice", FieldType.CURRENCY),
    FieldDef("Discount", FieldType.PERCENT, "Discount"),
    FieldDef("ServiceDate", FieldType.DATE, "Date"),
    FieldDef("Description", FieldType.STRING, "Line Description"),
    _ro("CurrencyIsoCode", FieldType.PICKLIST),
))

PRODUCT2 = ObjectDef("Product2", "01t", "Product", label_plural="Products", fields=(
    *_system("Product"),
    FieldDef("Name", FieldType.STRING, "Product Name", required=True),
    FieldDef("ProductCode", FieldType.STRING, "Product Code"),
    FieldDef("Description", FieldType.TEXTAREA, "Product Description", length=4000),
    FieldDef("IsActive", FieldType.BOOLEAN, "Active", default=False),
    FieldDef("Family", FieldType.PICKLIST, "Product Family", restricted=False,
             picklist=("Subscription", "Usage", "Services", "Hardware")),
    FieldDef("Billing_Type__c", FieldType.PICKLIST, "Billing Type", picklist=BILLING_TYPE),
    FieldDef("Revenue_Category__c", FieldType.STRING, "Revenue Category", length=64),
    _currency_iso(),
    _accord_id(),
))

PRICEBOOK2 = ObjectDef("Pricebook2", "01s", "Price Book", label_plural="Price Books", fields=(
    *_system("Price Book"),
    FieldDef("Name", FieldType.STRING, "Price Book Name", required=True),
    FieldDef("IsActive", FieldType.BOOLEAN, "Active", default=False),
    _ro("IsStandard", FieldType.BOOLEAN),
    FieldDef("Description", FieldType.STRING, "Description"),
))

PRICEBOOK_ENTRY = ObjectDef("PricebookEntry", "01u", "Price Book Entry",
                            label_plural="Price Book Entries", fields=(
    *_system("Price Book Entry"),
    _ref("Pricebook2Id", "Pricebook2", "Pricebook2", required=True, updateable=False),
    _ref("Product2Id", "Product2", "Product2", required=True, updateable=False),
    FieldDef("UnitPrice", FieldType.CURRENCY, "List Price", required=True),
    FieldDef("IsActive", FieldType.BOOLEAN, "Active", default=False),
    FieldDef("UseStandardPrice", FieldType.BOOLEAN, "Use Standard Price", default=False),
    FieldDef("CurrencyIsoCode", FieldType.PICKLIST, "Currency ISO Code", picklist=CURRENCIES,
             default="USD", updateable=False, length=3),
    _ro("ProductCode", FieldType.STRING),
    _ro("Name", FieldType.STRING),
    FieldDef("Billing_Frequency__c", FieldType.PICKLIST, "Billing Frequency",
             picklist=BILLING_FREQUENCY),
    _accord_id(),
))

CONTRACT = ObjectDef("Contract", "800", "Contract", label_plural="Contracts", fields=(
    *_system("Contract"),
    _ref("AccountId", "Account", "Account", required=True),
    FieldDef("Status", FieldType.PICKLIST, "Status", required=True, picklist=CONTRACT_STATUS,
             default="Draft"),
    FieldDef("StartDate", FieldType.DATE, "Contract Start Date"),
    FieldDef("ContractTerm", FieldType.INT, "Contract Term (months)"),
    _ro("EndDate", FieldType.DATE),
    _ro("ContractNumber", FieldType.STRING),
    FieldDef("Description", FieldType.TEXTAREA, "Description", length=32000),
    _ref("Pricebook2Id", "Pricebook2", "Pricebook2"),
    _currency_iso(),
    _accord_id(),
    _billing_status(),
    FieldDef("Stripe_Subscription_Id__c", FieldType.STRING, "Stripe Subscription ID",
             external_id=True),
    FieldDef("Subscription_Status__c", FieldType.PICKLIST, "Subscription Status",
             picklist=SUBSCRIPTION_STATUS),
))

OBJECTS: dict[str, ObjectDef] = {
    definition.name.lower(): definition
    for definition in (ACCOUNT, CONTACT, OPPORTUNITY, OPPORTUNITY_LINE_ITEM, PRODUCT2,
                       PRICEBOOK2, PRICEBOOK_ENTRY, CONTRACT)
}
BY_PREFIX: dict[str, ObjectDef] = {definition.key_prefix: definition
                                   for definition in OBJECTS.values()}


def object_def(name: str) -> ObjectDef | None:
    return OBJECTS.get(name.lower())


__all__ = ["BY_PREFIX", "CLOSED_STAGES", "NUMERIC", "OBJECTS", "TEXTUAL", "FieldDef",
           "FieldType", "ObjectDef", "object_def"]
