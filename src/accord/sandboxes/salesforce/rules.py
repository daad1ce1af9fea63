"""Record-level rules beyond single fields: references, uniqueness, derived values, rollups.

Derived (read-only) fields are computed as Salesforce computes them: ``Contact.Name``;
compound addresses (``BillingAddress``) from their parts; ``Opportunity.IsWon``/``IsClosed``,
forecast category and default probability from the stage, ``ExpectedRevenue``, the fiscal
period from the close date; line item prices, subtotals and totals from the price book entry;
``Contract.EndDate`` from start and term, its status code and activation; and the
opportunity's ``Amount``, quantity and ``HasOpportunityLineItem`` from its line items.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from accord.sandboxes.salesforce.errors import ApiError, ErrorCode
from accord.sandboxes.salesforce.schema import (
    ADDRESS_PARTS,
    CLOSED_STAGES,
    CONTRACT_STATUS_CODE,
    FORECAST,
    OPPORTUNITY,
    OPPORTUNITY_LINE_ITEM,
    PRICEBOOK_ENTRY,
    STAGE_PROBABILITY,
    FieldType,
    ObjectDef,
    object_def,
)
from accord.sandboxes.salesforce.store import (
    SANDBOX_USER_ID,
    ChangeType,
    Record,
    Store,
    Transaction,
)


def check_references(store: Store, obj: ObjectDef, values: dict[str, Any]) -> None:
    for name, value in values.items():
        field = obj.by_name[name.lower()]
        if field.type is not FieldType.REFERENCE or not value or not field.reference_to:
            continue
        found = store.find(value)
        if found is None or found[0].name != field.reference_to:
            if found is None and value[:3] == _prefix_of(field.reference_to):
                raise ApiError.one(400, ErrorCode.INVALID_CROSS_REFERENCE_KEY,
                                   "invalid cross reference id", field.name)
            raise ApiError.one(400, ErrorCode.FIELD_INTEGRITY_EXCEPTION,
                               f"{field.label or field.name}: id value of incorrect type: "
                               f"{value}", field.name)
        values[name] = found[1]["Id"]


def _prefix_of(name: str) -> str:
    target = object_def(name)
    return target.key_prefix if target else ""


def check_unique(store: Store, obj: ObjectDef, record: Record) -> None:
    for field in obj.fields:
        value = record.get(field.name)
        if not (field.unique and value):
            continue
        others = [other for other in store.by_external_id(obj, field.name, str(value))
                  if other["Id"] != record["Id"]]
        if others:
            raise ApiError.one(400, ErrorCode.DUPLICATE_VALUE,
                               f"duplicate value found: {field.name} duplicates value on "
                               f"record with id: {others[0]['Id']}", field.name)


def _add_months(start: date, months: int) -> date:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28,
                          31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1])
    return date(year, month, day)


def _addresses(obj: ObjectDef, record: Record) -> None:
    """Compound address fields (``BillingAddress``) from their parts: an object with every
    part, or null when no part has a value."""
    for field in obj.fields:
        if field.type is not FieldType.ADDRESS:
            continue
        prefix = field.name[:-len("Address")]
        parts = {part: record.get(f"{prefix}{part}") for part in ADDRESS_PARTS}
        record[field.name] = None if all(v is None for v in parts.values()) else {
            "city": parts["City"], "country": parts["Country"],
            "geocodeAccuracy": parts["GeocodeAccuracy"], "latitude": parts["Latitude"],
            "longitude": parts["Longitude"], "postalCode": parts["PostalCode"],
            "state": parts["State"], "street": parts["Street"]}


def _derive_opportunity(store: Store, record: Record, creating: bool) -> None:
    stage = record.get("StageName")
    before: Record = {} if creating else (store.find(record["Id"]) or (None, {}))[1]
    record["IsClosed"] = stage in CLOSED_STAGES
    record["IsWon"] = CLOSED_STAGES.get(stage or "", False)
    if creating or stage != before.get("StageName"):
        # a new stage brings its forecast category and, unless one was given, its probability
        category, name = FORECAST.get(stage or "", ("Pipeline", "Pipeline"))
        record["ForecastCategory"] = category
        record["ForecastCategoryName"] = name
        given = record.get("Probability") if creating else (
            None if record.get("Probability") == before.get("Probability")
            else record.get("Probability"))
        record["Probability"] = (given if given is not None
                                 else Decimal(STAGE_PROBABILITY.get(stage or "", 0)))
        if not creating:
            record["LastStageChangeDate"] = store.now()
    amount, probability = record.get("Amount"), record.get("Probability")
    record["ExpectedRevenue"] = (None if amount is None or probability is None
                                 else (amount * probability / 100).quantize(Decimal("0.01")))
    close = record.get("CloseDate")
    if close is not None:
        quarter = (close.month - 1) // 3 + 1
        record["FiscalYear"], record["FiscalQuarter"] = close.year, quarter
        record["Fiscal"] = f"{close.year} {quarter}"
    for flag in ("HasOpportunityLineItem", "HasOpenActivity", "HasOverdueTask"):
        if record.get(flag) is None:
            record[flag] = False
    if record.get("PushCount") is None:
        record["PushCount"] = 0


def _derive_contract(store: Store, record: Record, creating: bool) -> None:
    if creating:
        record["ContractNumber"] = store.next_contract_number()
    start, term = record.get("StartDate"), record.get("ContractTerm")
    record["EndDate"] = (_add_months(start, term) - timedelta(days=1)
                         if start and term else None)
    status = record.get("Status")
    record["StatusCode"] = CONTRACT_STATUS_CODE.get(status or "", "Draft")
    if status == "Activated" and record.get("ActivatedDate") is None:
        record["ActivatedDate"] = store.now()
        record["ActivatedById"] = SANDBOX_USER_ID


def derive(store: Store, obj: ObjectDef, record: Record, creating: bool) -> None:
    """Fill read-only fields and enforce cross-record rules before a save."""
    name = obj.name
    _addresses(obj, record)
    if name == "Contact":
        record["Name"] = " ".join(p for p in (record.get("FirstName"), record["LastName"]) if p)
    elif name == "Opportunity":
        _derive_opportunity(store, record, creating)
    elif name == "Contract":
        _derive_contract(store, record, creating)
    elif name == "PricebookEntry":
        _derive_entry(store, record, creating)
    elif name == "OpportunityLineItem":
        _derive_line(store, record, creating)


def _derive_entry(store: Store, record: Record, creating: bool) -> None:
    found = store.find(record["Product2Id"])
    if found:
        record["ProductCode"] = found[1].get("ProductCode")
        record["Name"] = found[1].get("Name")
    if creating:
        for other in store.rows(PRICEBOOK_ENTRY):
            if (other["Id"] != record["Id"] and other["Pricebook2Id"] == record["Pricebook2Id"]
                    and other["Product2Id"] == record["Product2Id"]
                    and other["CurrencyIsoCode"] == record["CurrencyIsoCode"]):
                raise ApiError.one(400, ErrorCode.DUPLICATE_VALUE,
                                   "This price definition already exists in this price book",
                                   "Product2Id")


def _derive_line(store: Store, record: Record, creating: bool) -> None:
    entry_found = store.find(record["PricebookEntryId"])
    opportunity_found = store.find(record["OpportunityId"])
    if entry_found is None or opportunity_found is None:
        return
    entry, opportunity = entry_found[1], opportunity_found[1]
    if creating:
        if entry["CurrencyIsoCode"] != opportunity.get("CurrencyIsoCode"):
            raise ApiError.one(400, ErrorCode.FIELD_INTEGRITY_EXCEPTION,
                               "field integrity exception: PricebookEntryId (pricebook entry "
                               "currency code does not match opportunity currency code)",
                               "PricebookEntryId")
        book = opportunity.get("Pricebook2Id")
        if book and book != entry["Pricebook2Id"]:
            raise ApiError.one(400, ErrorCode.FIELD_INTEGRITY_EXCEPTION,
                               "field integrity exception: PricebookEntryId (pricebook entry is "
                               "in a different pricebook than the one assigned to the "
                               "opportunity)", "PricebookEntryId")
    record["Product2Id"] = entry["Product2Id"]
    record["ProductCode"] = entry.get("ProductCode")
    record["Name"] = f"{opportunity['Name']} {entry.get('Name') or ''}".strip()
    record["ListPrice"] = entry["UnitPrice"]
    record["CurrencyIsoCode"] = entry["CurrencyIsoCode"]
    if record.get("UnitPrice") is None:
        record["UnitPrice"] = entry["UnitPrice"]
    quantity = Decimal(record["Quantity"])
    gross = quantity * record["UnitPrice"]
    discount = record.get("Discount") or Decimal(0)
    record["Subtotal"] = gross.quantize(Decimal("0.01"))
    record["TotalPrice"] = (gross - gross * discount / 100).quantize(Decimal("0.01"))


def rollup(tx: Transaction, obj: ObjectDef, record: Record) -> None:
    """After a line item changes, the opportunity's Amount is the sum of its lines, and an
    opportunity without a price book takes the line's."""
    if obj.name != "OpportunityLineItem":
        return
    store = tx.store
    found = store.find(record["OpportunityId"])
    if found is None:
        return
    opportunity = dict(found[1])
    lines = [line for line in store.rows(OPPORTUNITY_LINE_ITEM)
             if line["OpportunityId"] == opportunity["Id"]]
    changed: list[str] = []
    amount = sum((line["TotalPrice"] for line in lines), Decimal(0)) if lines else None
    if amount != opportunity.get("Amount"):
        opportunity["Amount"] = amount
        changed.append("Amount")
    quantity = sum((Decimal(line["Quantity"]) for line in lines), Decimal(0)) if lines else None
    derived = {"HasOpportunityLineItem": bool(lines), "TotalOpportunityQuantity": quantity,
               "ExpectedRevenue": None if amount is None or opportunity.get("Probability")
               is None else (amount * opportunity["Probability"] / 100).quantize(
                   Decimal("0.01"))}
    for key, value in derived.items():
        if opportunity.get(key) != value:
            opportunity[key] = value
            changed.append(key)
    if not opportunity.get("Pricebook2Id") and lines:
        entry = store.find(record["PricebookEntryId"])
        if entry:
            opportunity["Pricebook2Id"] = entry[1]["Pricebook2Id"]
            changed.append("Pricebook2Id")
    if changed:
        now = store.now()
        opportunity["LastModifiedDate"] = opportunity["SystemModstamp"] = now
        tx.put(OPPORTUNITY, opportunity, ChangeType.UPDATE,
               (*changed, "LastModifiedDate"))


__all__ = ["check_references", "check_unique", "derive", "rollup"]
