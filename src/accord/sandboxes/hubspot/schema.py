"""HubSpot's CRM objects as the sandbox knows them: object types, their properties with
HubSpot's property types (default ones and the custom ones accord's setup adds), the
default association types between them, and the deal pipeline with its stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class PropertyType(StrEnum):
    STRING = "string"
    NUMBER = "number"
    ENUMERATION = "enumeration"
    DATE = "date"
    DATETIME = "datetime"
    BOOL = "bool"


@dataclass(frozen=True)
class PropertyDef:
    name: str
    type: PropertyType = PropertyType.STRING
    options: tuple[str, ...] = ()
    unique: bool = False
    read_only: bool = False
    custom: bool = False


@dataclass(frozen=True)
class ObjectType:
    """One CRM object type: its plural path name, singular name, type id and properties."""

    name: str
    singular: str
    type_id: str
    properties: dict[str, PropertyDef]
    defaults: tuple[str, ...]
    """What a read returns when it names no properties."""
    aliases: tuple[str, ...] = field(default=())

    def prop(self, name: str) -> PropertyDef | None:
        return self.properties.get(name)


S, N, E, D, DT, B = (PropertyType.STRING, PropertyType.NUMBER, PropertyType.ENUMERATION,
                     PropertyType.DATE, PropertyType.DATETIME, PropertyType.BOOL)
BILLING_STATUSES = ("pending", "active", "past_due", "canceled")
PRICE_CURRENCIES = ("usd", "eur", "gbp", "jpy", "cad", "aud", "chf", "sek", "nok", "dkk",
                    "kwd")
"""Multi-currency accounts keep a product's price in each currency as ``hs_price_<code>``."""


def _props(*defs: PropertyDef) -> dict[str, PropertyDef]:
    common = (PropertyDef("hs_object_id", N, read_only=True),
              PropertyDef("createdate", DT),
              PropertyDef("hs_lastmodifieddate", DT, read_only=True))
    return {d.name: d for d in (*common, *defs)}


def _custom(name: str, kind: PropertyType = S, *, unique: bool = False,
            options: tuple[str, ...] = ()) -> PropertyDef:
    return PropertyDef(name, kind, options=options, unique=unique, custom=True)


COMPANIES = ObjectType(
    "companies", "company", "0-2",
    _props(PropertyDef("name"), PropertyDef("domain"), PropertyDef("address"),
           PropertyDef("city"), PropertyDef("state"), PropertyDef("zip"),
           PropertyDef("country"), PropertyDef("phone"), PropertyDef("industry"),
           PropertyDef("annualrevenue", N), PropertyDef("numberofemployees", N),
           _custom("legal_entity"), _custom("vat_number"), _custom("billing_email"),
           _custom("currency_code"), _custom("accord_id", unique=True),
           _custom("billing_customer_id"), _custom("erp_customer_id"),
           _custom("billing_status", E, options=BILLING_STATUSES)),
    ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
    aliases=("company", "0-2"))
CONTACTS = ObjectType(
    "contacts", "contact", "0-1",
    _props(PropertyDef("email", unique=True),
           PropertyDef("lastmodifieddate", DT, read_only=True), PropertyDef("firstname"),
           PropertyDef("lastname"), PropertyDef("phone"), PropertyDef("jobtitle"),
           PropertyDef("company"),
           PropertyDef("lifecyclestage", E, options=(
               "subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead",
               "opportunity", "customer", "evangelist", "other"))),
    ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"),
    aliases=("contact", "0-1"))
DEALS = ObjectType(
    "deals", "deal", "0-3",
    _props(PropertyDef("dealname"), PropertyDef("amount", N), PropertyDef("dealstage"),
           PropertyDef("pipeline"), PropertyDef("closedate", DT),
           PropertyDef("deal_currency_code"), PropertyDef("description"),
           PropertyDef("dealtype", E, options=("newbusiness", "existingbusiness")),
           PropertyDef("hs_is_closed_won", B, read_only=True),
           PropertyDef("hs_is_closed", B, read_only=True),
           _custom("legal_entity"), _custom("contract_term_months", N),
           _custom("contract_start_date", D), _custom("accord_id", unique=True),
           _custom("billing_subscription_id"),
           _custom("billing_status", E, options=BILLING_STATUSES)),
    ("amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate",
     "hs_object_id", "pipeline"),
    aliases=("deal", "0-3"))
LINE_ITEMS = ObjectType(
    "line_items", "line_item", "0-8",
    _props(PropertyDef("name"), PropertyDef("hs_product_id"), PropertyDef("hs_sku"),
           PropertyDef("quantity", N), PropertyDef("price", N),
           PropertyDef("amount", N, read_only=True),
           PropertyDef("hs_line_item_currency_code"), PropertyDef("description"),
           PropertyDef("recurringbillingfrequency", E, options=(
               "weekly", "biweekly", "monthly", "quarterly", "per_six_months", "annually",
               "per_two_years", "per_three_years"))),
    ("amount", "createdate", "hs_lastmodifieddate", "hs_object_id", "hs_product_id",
     "name", "price", "quantity"),
    aliases=("line_item", "lineitem", "0-8"))
PRODUCTS = ObjectType(
    "products", "product", "0-7",
    _props(PropertyDef("name"), PropertyDef("description"), PropertyDef("hs_sku"),
           PropertyDef("price", N), PropertyDef("hs_cost_of_goods_sold", N),
           PropertyDef("recurringbillingfrequency", E, options=(
               "weekly", "biweekly", "monthly", "quarterly", "per_six_months", "annually",
               "per_two_years", "per_three_years")),
           *(PropertyDef(f"hs_price_{code}", N) for code in PRICE_CURRENCIES),
           _custom("accord_id", unique=True), _custom("billing_type"),
           _custom("revenue_category")),
    ("createdate", "description", "hs_lastmodifieddate", "hs_object_id", "name", "price"),
    aliases=("product", "0-7"))

OBJECT_TYPES: tuple[ObjectType, ...] = (COMPANIES, CONTACTS, DEALS, LINE_ITEMS, PRODUCTS)
_BY_NAME = {alias: kind for kind in OBJECT_TYPES for alias in (kind.name, *kind.aliases)}


def object_type(name: str) -> ObjectType | None:
    return _BY_NAME.get(name.lower())


DEFAULT_ASSOCIATIONS: dict[tuple[str, str], int] = {
    ("contacts", "companies"): 279, ("companies", "contacts"): 280,
    ("deals", "contacts"): 3, ("contacts", "deals"): 4,
    ("deals", "companies"): 341, ("companies", "deals"): 342,
    ("deals", "line_items"): 19, ("line_items", "deals"): 20,
}
"""HubSpot's default (unlabelled, HUBSPOT_DEFINED) association type ids, by direction."""
PRIMARY_ASSOCIATIONS: dict[tuple[str, str], int] = {
    ("contacts", "companies"): 1, ("companies", "contacts"): 2,
    ("deals", "companies"): 5, ("companies", "deals"): 6,
}
"""The "Primary" labelled types (a record's primary company)."""


@dataclass(frozen=True)
class Stage:
    id: str
    label: str
    probability: str
    closed: bool


@dataclass(frozen=True)
class Pipeline:
    id: str
    label: str
    stages: tuple[Stage, ...]

    def stage(self, stage_id: str) -> Stage | None:
        return next((stage for stage in self.stages if stage.id == stage_id), None)


DEFAULT_PIPELINE = Pipeline("default", "Sales Pipeline", (
    Stage("appointmentscheduled", "Appointment Scheduled", "0.2", False),
    Stage("qualifiedtobuy", "Qualified To Buy", "0.4", False),
    Stage("presentationscheduled", "Presentation Scheduled", "0.6", False),
    Stage("decisionmakerboughtin", "Decision Maker Bought-In", "0.8", False),
    Stage("contractsent", "Contract Sent", "0.9", False),
    Stage("closedwon", "Closed Won", "1.0", True),
    Stage("closedlost", "Closed Lost", "0.0", True),
))
PIPELINES = {"deals": (DEFAULT_PIPELINE,)}


__all__ = ["BILLING_STATUSES", "DEFAULT_ASSOCIATIONS", "DEFAULT_PIPELINE", "OBJECT_TYPES",
           "PIPELINES", "PRIMARY_ASSOCIATIONS", "ObjectType", "Pipeline", "PropertyDef",
           "PropertyType", "Stage", "object_type"]
