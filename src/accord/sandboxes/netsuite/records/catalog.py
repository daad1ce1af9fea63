"""The record types the sandbox serves, with their fields and sublists."""

from __future__ import annotations

from accord.sandboxes.netsuite.records.fields import (
    Family,
    RecordSpec,
    SublistSpec,
    boolean,
    date_field,
    decimal,
    integer,
    ref,
    select,
    text,
)

ACCOUNT_TYPES = (("AcctPay", "Accounts Payable"), ("AcctRec", "Accounts Receivable"),
                 ("Bank", "Bank"), ("COGS", "Cost of Goods Sold"), ("CredCard", "Credit Card"),
                 ("DeferExpense", "Deferred Expense"), ("DeferRevenue", "Deferred Revenue"),
                 ("Equity", "Equity"), ("Expense", "Expense"), ("FixedAsset", "Fixed Asset"),
                 ("Income", "Income"), ("LongTermLiab", "Long Term Liability"),
                 ("NonPosting", "Non Posting"), ("OthAsset", "Other Asset"),
                 ("OthCurrAsset", "Other Current Asset"),
                 ("OthCurrLiab", "Other Current Liability"), ("OthExpense", "Other Expense"),
                 ("OthIncome", "Other Income"), ("Stat", "Statistical"),
                 ("UnbilledRec", "Unbilled Receivable"))
COUNTRIES = (("AT", "Austria"), ("AU", "Australia"), ("BE", "Belgium"), ("CA", "Canada"),
             ("CH", "Switzerland"), ("DE", "Germany"), ("DK", "Denmark"), ("ES", "Spain"),
             ("FR", "France"), ("GB", "United Kingdom"), ("IE", "Ireland"), ("IN", "India"),
             ("IT", "Italy"), ("JP", "Japan"), ("NL", "Netherlands"), ("NO", "Norway"),
             ("SE", "Sweden"), ("SG", "Singapore"), ("US", "United States"))

ITEM_TYPES = ("inventoryItem", "nonInventorySaleItem", "serviceSaleItem")
SEGMENTS = (ref("department", "department"), ref("class", "classification"),
            ref("location", "location"))

_NAMED = (text("name", required=True), boolean("isInactive", False))


def _item(name: str, code: str) -> RecordSpec:
    return RecordSpec(name, (
        text("itemId", required=True, label="Item Name/Number"), text("displayName"),
        text("description"), decimal("basePrice"), ref("incomeAccount", "account"),
        ref("deferredRevenueAccount", "account"),
        ref("subsidiary", "subsidiary"), boolean("isInactive", False),
    ), family=Family.ITEM, type_code=code, ref_field="itemId")


_ITEM_LINES = SublistSpec("item", (
    ref("item", *ITEM_TYPES, required=True, label="Item"), text("description"),
    decimal("quantity"), decimal("rate"), decimal("amount"), text("taxCode"),
    decimal("taxRate1"), *SEGMENTS, boolean("deferRevRec"), date_field("revRecStartDate"),
    date_field("revRecEndDate"),
))
_TAX_DETAILS = SublistSpec("taxDetails", (
    text("taxCode", required=True, label="Tax Code"), text("taxType"), decimal("taxRate"),
    decimal("taxBasis"), decimal("taxAmount", required=True, label="Tax Amount"),
))


def _apply(*targets: str) -> SublistSpec:
    return SublistSpec("apply", (
        ref("doc", *targets, required=True, label="Document"), boolean("apply", True),
        decimal("amount", required=True, label="Payment"),
    ))


_HEADER = (
    text("tranId"), date_field("tranDate", required=True, label="Date"),
    ref("subsidiary", "subsidiary"), ref("currency", "currency"), decimal("exchangeRate"),
    ref("postingPeriod", "accountingPeriod"), text("memo"),
)

SPECS: tuple[RecordSpec, ...] = (
    RecordSpec("currency", (
        text("name", required=True), text("symbol", required=True, label="ISO Code"),
        decimal("exchangeRate"), integer("currencyPrecision"), boolean("isBaseCurrency", False),
        boolean("isInactive", False),
    ), ref_field="symbol"),
    RecordSpec("subsidiary", (
        *_NAMED, ref("currency", "currency", required=True), select("country", COUNTRIES),
        ref("parent", "subsidiary"),
    )),
    RecordSpec("account", (
        text("acctNumber", required=True, label="Number"),
        text("acctName", required=True, label="Name"),
        select("acctType", ACCOUNT_TYPES, required=True, label="Type"),
        ref("subsidiary", "subsidiary"), ref("currency", "currency"), boolean("isInactive", False),
    ), ref_field="acctName"),
    RecordSpec("accountingPeriod", (
        text("periodName", required=True), date_field("startDate", required=True),
        date_field("endDate", required=True), boolean("isQuarter", False),
        boolean("isYear", False), boolean("closed", False), boolean("arLocked", False),
        boolean("apLocked", False), boolean("allLocked", False),
    ), ref_field="periodName"),
    RecordSpec("term", (*_NAMED, integer("daysUntilNetDue"))),
    RecordSpec("department", _NAMED),
    RecordSpec("classification", _NAMED),
    RecordSpec("location", _NAMED),
    *(_item(name, code) for name, code in zip(ITEM_TYPES, ("InvtPart", "NonInvtPart", "Service"),
                                              strict=True)),
    RecordSpec("customer", (
        text("entityId"), text("companyName", required=True, label="Company Name"),
        boolean("isPerson", False), text("email"), text("phone"),
        ref("subsidiary", "subsidiary", required=True, label="Primary Subsidiary"),
        ref("currency", "currency"), ref("terms", "term"), text("defaultTaxReg"),
        text("creditHoldOverride", default="AUTO"), decimal("creditLimit"),
        boolean("isInactive", False), text("url"),
    ), sublists=(
        SublistSpec("currencyList", (ref("currency", "currency", required=True),)),
        SublistSpec("taxRegistration", (
            text("taxRegistrationNumber", required=True), text("nexusCountry"),
        )),
        SublistSpec("addressBook", (
            text("addr1"), text("addr2"), text("city"), text("state"), text("zip"),
            text("country"), boolean("defaultBilling", False),
        )),
    ), ref_field="companyName"),
    RecordSpec("salesOrder", (
        *_HEADER, ref("entity", "customer", required=True, label="Customer"),
        text("otherRefNum"), *SEGMENTS,
    ), sublists=(_ITEM_LINES, _TAX_DETAILS), family=Family.TRANSACTION, type_code="SalesOrd",
        ref_field="tranId"),
    RecordSpec("invoice", (
        *_HEADER, ref("entity", "customer", required=True, label="Customer"),
        date_field("dueDate"), ref("terms", "term"), ref("account", "account"),
        text("otherRefNum"), ref("createdFrom", "salesOrder"), *SEGMENTS,
    ), sublists=(_ITEM_LINES, _TAX_DETAILS), family=Family.TRANSACTION, type_code="CustInvc",
        ref_field="tranId"),
    RecordSpec("creditMemo", (
        *_HEADER, ref("entity", "customer", required=True, label="Customer"),
        ref("createdFrom", "invoice"), ref("account", "account"), *SEGMENTS,
    ), sublists=(_ITEM_LINES, _TAX_DETAILS, _apply("invoice")), family=Family.TRANSACTION,
        type_code="CustCred", ref_field="tranId"),
    RecordSpec("customerPayment", (
        *_HEADER, ref("customer", "customer", required=True, label="Customer"),
        decimal("payment", required=True, label="Payment Amount"),
        boolean("undepFunds", True), ref("account", "account"), ref("aracct", "account"),
        text("paymentMethod"), text("checkNum"),
    ), sublists=(_apply("invoice"),), family=Family.TRANSACTION, type_code="CustPymt",
        ref_field="tranId"),
    RecordSpec("customerRefund", (
        *_HEADER, ref("customer", "customer", required=True, label="Customer"),
        ref("account", "account"), text("paymentMethod"),
    ), sublists=(_apply("creditMemo", "customerPayment"),), family=Family.TRANSACTION,
        type_code="CustRfnd", ref_field="tranId"),
    RecordSpec("journalEntry", (*_HEADER, boolean("approved", True)), sublists=(
        SublistSpec("line", (
            ref("account", "account", required=True, label="Account"), decimal("debit"),
            decimal("credit"), text("memo"), ref("entity", "customer"), *SEGMENTS,
        )),
    ), family=Family.TRANSACTION, type_code="Journal", ref_field="tranId"),
    RecordSpec("deposit", (
        *_HEADER, ref("account", "account", required=True, label="Account"),
    ), sublists=(
        SublistSpec("payment", (
            ref("doc", "customerPayment", required=True, label="Payment"),
            boolean("deposit", True), decimal("paymentAmount"),
        )),
        SublistSpec("other", (
            ref("account", "account", required=True), decimal("amount", required=True),
            text("memo"),
        )),
    ), family=Family.TRANSACTION, type_code="Deposit", ref_field="tranId"),
)

BY_NAME: dict[str, RecordSpec] = {spec.name: spec for spec in SPECS}
BY_LOWER: dict[str, RecordSpec] = {spec.name.lower(): spec for spec in SPECS}


def spec_for(name: str) -> RecordSpec | None:
    """Record type names are case-insensitive in URLs (``salesorder`` == ``salesOrder``)."""
    return BY_NAME.get(name) or BY_LOWER.get(name.lower())


ALIASES: dict[tuple[str, str], str] = {("accountingPeriod", "isClosed"): "closed"}
"""Input names earlier versions of this sandbox used, still accepted on write (NetSuite's
own name is the value)."""

__all__ = ["ACCOUNT_TYPES", "ALIASES", "BY_NAME", "COUNTRIES", "ITEM_TYPES", "SPECS",
           "spec_for"]
