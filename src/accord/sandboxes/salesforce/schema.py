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
    ADDRESS = "address"


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
    null_only: bool = False
    """A standard field the sandbox describes and returns but never gives a value (a feature
    it does not emulate: activities, recently viewed, Data.com, geocoding, ...)."""


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


def _none(name: str, kind: FieldType, target: str | None = None) -> FieldDef:
    """A read-only standard field that stays null in the sandbox."""
    return FieldDef(name, kind, name, writable=False, updateable=False, reference_to=target,
                    null_only=True)


def _text(name: str, label: str = "", kind: FieldType = FieldType.STRING,
          length: int = 255) -> FieldDef:
    return FieldDef(name, kind, label or name, length=length)


def _pick(name: str, label: str, values: tuple[str, ...], *, restricted: bool = False
          ) -> FieldDef:
    return FieldDef(name, FieldType.PICKLIST, label, picklist=values, restricted=restricted)


def _flag(name: str, label: str = "", *, writable: bool = True) -> FieldDef:
    return FieldDef(name, FieldType.BOOLEAN, label or name, writable=writable,
                    updateable=writable, default=False)


GEOCODE_ACCURACY = ("Address", "NearAddress", "Block", "Street", "ExtendedZip", "Zip",
                    "Neighborhood", "City", "County", "State", "Unknown")
CLEAN_STATUS = ("Matched", "Different", "Acknowledged", "NotFound", "Inactive", "Pending",
                "SelectMatch", "Skipped")
LEAD_SOURCE = ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")
ADDRESS_PARTS = ("Street", "City", "State", "PostalCode", "Country", "Latitude", "Longitude",
                 "GeocodeAccuracy")


def _address(prefix: str) -> tuple[FieldDef, ...]:
    """The parts of an address and its compound field (``BillingAddress``), which Salesforce
    returns as an object built from the parts."""
    return (
        FieldDef(f"{prefix}Street", FieldType.TEXTAREA, f"{prefix} Street"),
        *(FieldDef(f"{prefix}{part}", FieldType.STRING, f"{prefix} {part}")
          for part in ("City", "State", "PostalCode", "Country")),
        FieldDef(f"{prefix}Latitude", FieldType.DOUBLE, f"{prefix} Latitude"),
        FieldDef(f"{prefix}Longitude", FieldType.DOUBLE, f"{prefix} Longitude"),
        _pick(f"{prefix}GeocodeAccuracy", f"{prefix} Geocode Accuracy", GEOCODE_ACCURACY,
              restricted=True),
        _ro(f"{prefix}Address", FieldType.ADDRESS),
    )


def _owner() -> FieldDef:
    """The owner is the sandbox's one user (record ownership is not emulated)."""
    return FieldDef("OwnerId", FieldType.REFERENCE, "Owner ID", writable=False,
                    updateable=False, reference_to="User", relationship_name="Owner")


def _viewed() -> tuple[FieldDef, ...]:
    return (_none("LastViewedDate", FieldType.DATETIME),
            _none("LastReferencedDate", FieldType.DATETIME))


ACCOUNT = ObjectDef("Account", "001", "Account", label_plural="Accounts", fields=(
    *_system("Account"),
    _none("MasterRecordId", FieldType.REFERENCE, "Account"),
    FieldDef("Name", FieldType.STRING, "Account Name", required=True),
    FieldDef("Type", FieldType.PICKLIST, "Account Type",
             picklist=("Prospect", "Customer - Direct", "Customer - Channel", "Partner", "Other")),
    _ref("ParentId", "Account", "Parent"),
    *_address("Billing"),
    *_address("Shipping"),
    FieldDef("Phone", FieldType.PHONE, "Account Phone", length=40),
    FieldDef("Fax", FieldType.PHONE, "Account Fax", length=40),
    _text("AccountNumber", "Account Number", length=40),
    FieldDef("Website", FieldType.URL, "Website"),
    _none("PhotoUrl", FieldType.URL),
    _text("Sic", "SIC Code", length=20),
    FieldDef("Industry", FieldType.PICKLIST, "Industry", restricted=False,
             picklist=("Technology", "Finance", "Manufacturing", "Retail", "Healthcare")),
    FieldDef("AnnualRevenue", FieldType.CURRENCY, "Annual Revenue"),
    FieldDef("NumberOfEmployees", FieldType.INT, "Employees"),
    _pick("Ownership", "Ownership", ("Public", "Private", "Subsidiary", "Other")),
    _text("TickerSymbol", "Ticker Symbol", length=20),
    _text("Description", "Account Description", FieldType.TEXTAREA, 32000),
    _pick("Rating", "Account Rating", ("Hot", "Warm", "Cold")),
    _text("Site", "Account Site", length=80),
    _currency_iso(),
    _owner(),
    _none("LastActivityDate", FieldType.DATE),
    *_viewed(),
    _text("Jigsaw", "Data.com Key", length=20),
    _none("JigsawCompanyId", FieldType.STRING),
    _pick("CleanStatus", "Clean Status", CLEAN_STATUS),
    _pick("AccountSource", "Account Source", LEAD_SOURCE),
    _text("DunsNumber", "D-U-N-S Number", length=9),
    _text("Tradestyle", "Tradestyle"),
    _text("NaicsCode", "NAICS Code", length=8),
    _text("NaicsDesc", "NAICS Description", length=120),
    _text("YearStarted", "Year Started", length=4),
    _text("SicDesc", "SIC Description", length=80),
    _none("DandbCompanyId", FieldType.REFERENCE, "DandBCompany"),
    _none("OperatingHoursId", FieldType.REFERENCE, "OperatingHours"),
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
    _none("MasterRecordId", FieldType.REFERENCE, "Contact"),
    _ref("AccountId", "Account", "Account"),
    FieldDef("LastName", FieldType.STRING, "Last Name", required=True, length=80),
    FieldDef("FirstName", FieldType.STRING, "First Name", length=40),
    _pick("Salutation", "Salutation", ("Mr.", "Ms.", "Mrs.", "Dr.", "Prof.")),
    _ro("Name", FieldType.STRING),
    *_address("Other"),
    *_address("Mailing"),
    FieldDef("Phone", FieldType.PHONE, "Business Phone", length=40),
    FieldDef("Fax", FieldType.PHONE, "Business Fax", length=40),
    FieldDef("MobilePhone", FieldType.PHONE, "Mobile Phone", length=40),
    FieldDef("HomePhone", FieldType.PHONE, "Home Phone", length=40),
    FieldDef("OtherPhone", FieldType.PHONE, "Other Phone", length=40),
    FieldDef("AssistantPhone", FieldType.PHONE, "Asst. Phone", length=40),
    _ref("ReportsToId", "Contact", "ReportsTo"),
    FieldDef("Email", FieldType.EMAIL, "Email", length=80),
    _text("Title", "Title", length=128),
    _text("Department", "Department", length=80),
    _text("AssistantName", "Assistant's Name", length=40),
    _pick("LeadSource", "Lead Source", LEAD_SOURCE),
    FieldDef("Birthdate", FieldType.DATE, "Birthdate"),
    _text("Description", "Contact Description", FieldType.TEXTAREA, 32000),
    _currency_iso(),
    _owner(),
    _none("LastActivityDate", FieldType.DATE),
    _none("LastCURequestDate", FieldType.DATETIME),
    _none("LastCUUpdateDate", FieldType.DATETIME),
    *_viewed(),
    _none("EmailBouncedReason", FieldType.STRING),
    _none("EmailBouncedDate", FieldType.DATETIME),
    _flag("IsEmailBounced", "Is Email Bounced", writable=False),
    _none("PhotoUrl", FieldType.URL),
    _text("Jigsaw", "Data.com Key", length=20),
    _none("JigsawContactId", FieldType.STRING),
    _pick("CleanStatus", "Clean Status", CLEAN_STATUS),
    _none("IndividualId", FieldType.REFERENCE, "Individual"),
    _accord_id(),
))

FORECAST = {"Closed Won": ("Closed", "Closed"), "Closed Lost": ("Omitted", "Omitted")}
"""Forecast category (API value, name) by stage; every open stage is in the pipeline."""
STAGE_PROBABILITY = {"Prospecting": 10, "Qualification": 10, "Needs Analysis": 20,
                     "Value Proposition": 50, "Proposal/Price Quote": 75,
                     "Negotiation/Review": 90, "Closed Won": 100, "Closed Lost": 0}

OPPORTUNITY = ObjectDef("Opportunity", "006", "Opportunity", label_plural="Opportunities",
                        fields=(
    *_system("Opportunity"),
    _ref("AccountId", "Account", "Account"),
    _flag("IsPrivate", "Private"),
    FieldDef("Name", FieldType.STRING, "Name", required=True, length=120),
    FieldDef("Description", FieldType.TEXTAREA, "Description", length=32000),
    FieldDef("StageName", FieldType.PICKLIST, "Stage", required=True, picklist=STAGES),
    FieldDef("Amount", FieldType.CURRENCY, "Amount"),
    FieldDef("Probability", FieldType.PERCENT, "Probability (%)"),
    _ro("ExpectedRevenue", FieldType.CURRENCY),
    FieldDef("TotalOpportunityQuantity", FieldType.DOUBLE, "Quantity"),
    FieldDef("CloseDate", FieldType.DATE, "Close Date", required=True),
    FieldDef("Type", FieldType.PICKLIST, "Opportunity Type",
             picklist=("New Business", "Existing Business - Upgrade", "Renewal")),
    _text("NextStep", "Next Step"),
    _pick("LeadSource", "Lead Source", LEAD_SOURCE),
    _ro("IsClosed", FieldType.BOOLEAN),
    _ro("IsWon", FieldType.BOOLEAN),
    FieldDef("ForecastCategory", FieldType.PICKLIST, "Forecast Category", writable=False,
             updateable=False,
             picklist=("Omitted", "Pipeline", "BestCase", "Forecast", "Closed")),
    _pick("ForecastCategoryName", "Forecast Category",
          ("Omitted", "Pipeline", "Best Case", "Commit", "Closed"), restricted=True),
    _currency_iso(),
    _none("CampaignId", FieldType.REFERENCE, "Campaign"),
    _ro("HasOpportunityLineItem", FieldType.BOOLEAN),
    _ref("Pricebook2Id", "Pricebook2", "Pricebook2"),
    _owner(),
    _none("LastActivityDate", FieldType.DATE),
    _ro("PushCount", FieldType.INT),
    _ro("LastStageChangeDate", FieldType.DATETIME),
    _ro("FiscalQuarter", FieldType.INT),
    _ro("FiscalYear", FieldType.INT),
    _ro("Fiscal", FieldType.STRING),
    _ref("ContactId", "Contact", "Contact"),
    _ref("ContractId", "Contract", "Contract"),
    *_viewed(),
    _ro("HasOpenActivity", FieldType.BOOLEAN),
    _ro("HasOverdueTask", FieldType.BOOLEAN),
    _none("LastAmountChangedHistoryId", FieldType.REFERENCE, "OpportunityHistory"),
    _none("LastCloseDateChangedHistoryId", FieldType.REFERENCE, "OpportunityHistory"),
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
    FieldDef("SortOrder", FieldType.INT, "Sort Order"),
    _ref("PricebookEntryId", "PricebookEntry", "PricebookEntry", required=True,
         updateable=False),
    FieldDef("Product2Id", FieldType.REFERENCE, "Product ID", writable=False, updateable=False,
             reference_to="Product2", relationship_name="Product2"),
    _ro("ProductCode", FieldType.STRING),
    _ro("Name", FieldType.STRING),
    _ro("CurrencyIsoCode", FieldType.PICKLIST),
    FieldDef("Quantity", FieldType.DOUBLE, "Quantity", required=True),
    _ro("TotalPrice", FieldType.CURRENCY),
    FieldDef("UnitPrice", FieldType.CURRENCY, "Sales Price"),
    _ro("ListPrice", FieldType.CURRENCY),
    FieldDef("ServiceDate", FieldType.DATE, "Date"),
    FieldDef("Description", FieldType.STRING, "Line Description"),
    FieldDef("Discount", FieldType.PERCENT, "Discount"),
    _ro("Subtotal", FieldType.CURRENCY),
    *_viewed(),
))

PRODUCT2 = ObjectDef("Product2", "01t", "Product", label_plural="Products", fields=(
    *_system("Product"),
    FieldDef("Name", FieldType.STRING, "Product Name", required=True),
    FieldDef("ProductCode", FieldType.STRING, "Product Code"),
    FieldDef("Description", FieldType.TEXTAREA, "Product Description", length=4000),
    FieldDef("IsActive", FieldType.BOOLEAN, "Active", default=False),
    FieldDef("Family", FieldType.PICKLIST, "Product Family", restricted=False,
             picklist=("Subscription", "Usage", "Services", "Hardware")),
    _currency_iso(),
    _none("ExternalDataSourceId", FieldType.REFERENCE, "ExternalDataSource"),
    _text("ExternalId", "External ID"),
    _none("DisplayUrl", FieldType.URL),
    _pick("QuantityUnitOfMeasure", "Quantity Unit Of Measure", ("Each",)),
    _flag("IsArchived", "Archived", writable=False),
    *_viewed(),
    _text("StockKeepingUnit", "Product SKU", length=180),
    FieldDef("Billing_Type__c", FieldType.PICKLIST, "Billing Type", picklist=BILLING_TYPE),
    FieldDef("Revenue_Category__c", FieldType.STRING, "Revenue Category", length=64),
    _accord_id(),
))

PRICEBOOK2 = ObjectDef("Pricebook2", "01s", "Price Book", label_plural="Price Books", fields=(
    *_system("Price Book"),
    FieldDef("Name", FieldType.STRING, "Price Book Name", required=True),
    *_viewed(),
    FieldDef("IsActive", FieldType.BOOLEAN, "Active", default=False),
    _flag("IsArchived", "Archived", writable=False),
    FieldDef("Description", FieldType.STRING, "Description"),
    _ro("IsStandard", FieldType.BOOLEAN),
))

PRICEBOOK_ENTRY = ObjectDef("PricebookEntry", "01u", "Price Book Entry",
                            label_plural="Price Book Entries", fields=(
    *_system("Price Book Entry"),
    _ro("Name", FieldType.STRING),
    _ref("Pricebook2Id", "Pricebook2", "Pricebook2", required=True, updateable=False),
    _ref("Product2Id", "Product2", "Product2", required=True, updateable=False),
    FieldDef("CurrencyIsoCode", FieldType.PICKLIST, "Currency ISO Code", picklist=CURRENCIES,
             default="USD", updateable=False, length=3),
    FieldDef("UnitPrice", FieldType.CURRENCY, "List Price", required=True),
    FieldDef("IsActive", FieldType.BOOLEAN, "Active", default=False),
    FieldDef("UseStandardPrice", FieldType.BOOLEAN, "Use Standard Price", default=False),
    _ro("ProductCode", FieldType.STRING),
    _flag("IsArchived", "Archived", writable=False),
    FieldDef("Billing_Frequency__c", FieldType.PICKLIST, "Billing Frequency",
             picklist=BILLING_FREQUENCY),
    _accord_id(),
))

CONTRACT_STATUS_CODE = {"Draft": "Draft", "In Approval Process": "InApproval",
                        "Activated": "Activated"}

CONTRACT = ObjectDef("Contract", "800", "Contract", label_plural="Contracts", fields=(
    *_system("Contract"),
    _ref("AccountId", "Account", "Account", required=True),
    _currency_iso(),
    _ref("Pricebook2Id", "Pricebook2", "Pricebook2"),
    _pick("OwnerExpirationNotice", "Owner Expiration Notice",
          ("15", "30", "45", "60", "90", "120"), restricted=True),
    FieldDef("StartDate", FieldType.DATE, "Contract Start Date"),
    _ro("EndDate", FieldType.DATE),
    *_address("Billing"),
    *_address("Shipping"),
    FieldDef("ContractTerm", FieldType.INT, "Contract Term (months)"),
    _owner(),
    FieldDef("Status", FieldType.PICKLIST, "Status", required=True, picklist=CONTRACT_STATUS,
             default="Draft"),
    _none("CompanySignedId", FieldType.REFERENCE, "User"),
    FieldDef("CompanySignedDate", FieldType.DATE, "Company Signed Date"),
    _ref("CustomerSignedId", "Contact", "CustomerSigned"),
    _text("CustomerSignedTitle", "Customer Signed Title", length=40),
    FieldDef("CustomerSignedDate", FieldType.DATE, "Customer Signed Date"),
    _text("SpecialTerms", "Special Terms", FieldType.TEXTAREA, 4000),
    _ro("ActivatedById", FieldType.REFERENCE),
    _ro("ActivatedDate", FieldType.DATETIME),
    FieldDef("StatusCode", FieldType.PICKLIST, "Status Category", writable=False,
             updateable=False,
             picklist=("Draft", "InApproval", "Activated", "Terminated", "Expired")),
    FieldDef("Description", FieldType.TEXTAREA, "Description", length=32000),
    _ro("ContractNumber", FieldType.STRING),
    _none("LastApprovedDate", FieldType.DATETIME),
    _none("LastActivityDate", FieldType.DATE),
    *_viewed(),
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


__all__ = ["ADDRESS_PARTS", "BY_PREFIX", "CLOSED_STAGES", "CONTRACT_STATUS_CODE", "FORECAST",
           "NUMERIC", "OBJECTS", "STAGE_PROBABILITY", "TEXTUAL", "FieldDef", "FieldType",
           "ObjectDef", "object_def"]
