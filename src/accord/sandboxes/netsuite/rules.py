"""Business rules NetSuite enforces on save, and the values it derives on read.

* An invoice (and sales order, credit memo) needs an existing customer in the same subsidiary
  and a currency the customer may trade in (its primary currency or its currency list); a
  customer on credit hold cannot be sold to.
* Posting transactions take their period from ``postingPeriod`` or the transaction date; a
  closed period refuses everything, an AR-locked one refuses receivables transactions, an
  all-locked one refuses everything posting.
* A payment applies at most what each invoice still owes and at most its own amount; a credit
  memo and a refund likewise; a deposit takes undeposited payments once.
* Journal entries balance; every line is either a debit or a credit.
* Amounts have no more decimals than the currency's precision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from accord.sandboxes.netsuite.errors import ErrorCode, NetSuiteError, invalid, user_error
from accord.sandboxes.netsuite.records.fields import Family, RecordSpec
from accord.sandboxes.netsuite.state import NetSuiteStore, StoredRecord

ZERO = Decimal(0)
AR_TYPES = frozenset({"invoice", "creditMemo", "customerPayment", "customerRefund"})
POSTING_TYPES = AR_TYPES | {"journalEntry", "deposit"}
SOLD_TO = frozenset({"invoice", "salesOrder", "creditMemo"})
CREDIT_HOLD = {"AUTO", "ON", "OFF"}


@dataclass
class Effects:
    """What saving a record changes elsewhere."""

    applications: dict[str, Decimal] = field(default_factory=dict)
    deposits: list[str] = field(default_factory=list)


def _record(store: NetSuiteStore, record_type: str, internal_id: str) -> StoredRecord:
    found = store.get(record_type, internal_id)
    if found is None:  # references were resolved already; this is a bug guard
        raise invalid(f"Invalid reference {internal_id} to {record_type}.")
    return found


def _precision(store: NetSuiteStore, currency_id: str) -> int:
    value = _record(store, "currency", currency_id).data.get("currencyPrecision", 2)
    return int(value) if value is not None else 2


def _check_precision(store: NetSuiteStore, currency_id: str, amount: Decimal, path: str) -> None:
    places = _precision(store, currency_id)
    exponent = amount.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        symbol = _record(store, "currency", currency_id).data.get("symbol")
        raise invalid(f"The amount {amount} has more than {places} decimal places allowed for "
                      f"{symbol}.", path)


# -- shared checks --------------------------------------------------------------------------
def allowed_currencies(customer: StoredRecord) -> set[str]:
    allowed = {str(line["currency"]) for line in customer.data.get("currencyList") or []}
    if customer.data.get("currency"):
        allowed.add(str(customer.data["currency"]))
    return allowed


def _customer_terms(store: NetSuiteStore, data: dict[str, Any], customer_field: str,
                    record_type: str) -> StoredRecord:
    customer = _record(store, "customer", data[customer_field])
    if customer.data.get("isInactive"):
        raise user_error(f"The customer {customer.id} is inactive.", customer_field)
    subsidiary = customer.data.get("subsidiary")
    if data.get("subsidiary") is None:
        data["subsidiary"] = subsidiary
    elif data["subsidiary"] != subsidiary:
        raise user_error(f"The customer {customer.data.get('companyName')} does not belong to "
                         f"subsidiary {data['subsidiary']}.", "subsidiary")
    if data.get("currency") is None:
        data["currency"] = customer.data.get("currency")
    if data["currency"] not in allowed_currencies(customer):
        symbol = _record(store, "currency", data["currency"]).data.get("symbol")
        raise user_error(f"The currency {symbol} is not allowed for customer "
                         f"{customer.data.get('companyName')}.", "currency")
    if record_type in ("invoice", "salesOrder") and \
            customer.data.get("creditHoldOverride") == "ON":
        raise user_error(f"The customer {customer.data.get('companyName')} is on credit hold.",
                         customer_field)
    return customer


def period_for(store: NetSuiteStore, tran_date: str) -> StoredRecord | None:
    for period in store.all("accountingPeriod"):
        data = period.data
        if data.get("isQuarter") or data.get("isYear"):
            continue
        if data["startDate"] <= tran_date <= data["endDate"]:
            return period
    return None


def _check_period(store: NetSuiteStore, record_type: str, data: dict[str, Any]) -> None:
    tran_date: str = data["tranDate"]
    if data.get("postingPeriod") is None:
        period = period_for(store, tran_date)
        if period is None:
            raise user_error(f"No accounting period covers the date {tran_date}.", "tranDate")
        data["postingPeriod"] = period.id
    else:
        period = _record(store, "accountingPeriod", data["postingPeriod"])
    name = period.data.get("periodName")
    if period.data.get("closed"):
        raise user_error(f"The accounting period {name} is closed; you cannot post to it.",
                         "postingPeriod")
    if period.data.get("allLocked"):
        raise user_error(f"The accounting period {name} is locked for all transactions.",
                         "postingPeriod")
    if record_type in AR_TYPES and period.data.get("arLocked"):
        raise user_error(f"The accounting period {name} is locked for accounts receivable.",
                         "postingPeriod")


def _item_lines(store: NetSuiteStore, data: dict[str, Any], *, required: bool) -> Decimal:
    lines = data.get("item") or []
    if required and not lines:
        raise user_error("You must enter at least one line item for this transaction.", "item")
    subtotal = ZERO
    for index, line in enumerate(lines):
        path = f"item.items[{index}]"
        quantity = line.get("quantity")
        rate = line.get("rate")
        if line.get("amount") is None:
            if rate is None:
                raise user_error("Please enter value(s) for: Amount", f"{path}.amount")
            line["amount"] = rate * (quantity if quantity is not None else Decimal(1))
        _check_precision(store, data["currency"], line["amount"], f"{path}.amount")
        subtotal += line["amount"]
    return subtotal


def _tax_total(store: NetSuiteStore, data: dict[str, Any]) -> Decimal:
    total = ZERO
    for index, line in enumerate(data.get("taxDetails") or []):
        _check_precision(store, data["currency"], line["taxAmount"],
                         f"taxDetails.items[{index}].taxAmount")
        total += line["taxAmount"]
    return total


def document_total(store: NetSuiteStore, record: StoredRecord) -> Decimal:
    data = record.data
    if record.type in ("invoice", "creditMemo", "salesOrder"):
        return sum((line.get("amount") or ZERO for line in data.get("item") or []), ZERO) + \
            sum((line["taxAmount"] for line in data.get("taxDetails") or []), ZERO)
    if record.type == "customerPayment":
        return Decimal(data.get("payment") or 0)
    if record.type == "customerRefund":
        return sum((line["amount"] for line in data.get("apply") or [] if line.get("apply")),
                   ZERO)
    if record.type == "deposit":
        return sum((line.get("paymentAmount") or ZERO for line in data.get("payment") or []
                    if line.get("deposit")), ZERO) + \
            sum((line["amount"] for line in data.get("other") or []), ZERO)
    if record.type == "journalEntry":
        return sum((line.get("debit") or ZERO for line in data.get("line") or []), ZERO)
    return ZERO


def open_amount(store: NetSuiteStore, record: StoredRecord, *, excluding: str | None = None
                ) -> Decimal:
    """What is left on a document: an invoice's amount due, a credit's unapplied amount."""
    total = document_total(store, record)
    received = store.ledger.applied_to(record.id, excluding=excluding)
    if record.type in ("creditMemo", "customerPayment"):
        used = ZERO if record.id == excluding else store.ledger.applied_by(record.id)
        return total - used - received
    return total - received


def _applications(store: NetSuiteStore, data: dict[str, Any], record_id: str | None,
                  customer_field: str, limit: Decimal | None) -> dict[str, Decimal]:
    applications: dict[str, Decimal] = {}
    for index, line in enumerate(data.get("apply") or []):
        if not line.get("apply", True):
            continue
        path = f"apply.items[{index}]"
        doc = store.find(("invoice", "creditMemo", "customerPayment"), line["doc"])
        if doc is None:
            raise user_error("Invalid document.", f"{path}.doc")
        doc_customer = doc.data.get("entity") or doc.data.get("customer")
        if doc_customer != data[customer_field]:
            raise user_error(f"Document {doc.id} belongs to another customer.", f"{path}.doc")
        if doc.data.get("currency") != data.get("currency"):
            raise user_error(f"Document {doc.id} is in another currency.", f"{path}.doc")
        amount: Decimal = line["amount"]
        if amount <= 0:
            raise invalid("The applied amount must be positive.", f"{path}.amount")
        _check_precision(store, data["currency"], amount, f"{path}.amount")
        remaining = open_amount(store, doc, excluding=record_id) - applications.get(doc.id, ZERO)
        if amount > remaining:
            raise user_error(f"You cannot apply {amount} to document {doc.id}: only {remaining} "
                             "is open.", f"{path}.amount")
        applications[doc.id] = applications.get(doc.id, ZERO) + amount
    if limit is not None:
        applied = sum(applications.values(), ZERO)
        if applied > limit:
            raise user_error(f"The total applied ({applied}) exceeds the amount available "
                             f"({limit}).", "apply")
    return applications


# -- per record type ------------------------------------------------------------------------
def _customer(store: NetSuiteStore, data: dict[str, Any]) -> None:
    subsidiary = _record(store, "subsidiary", data["subsidiary"])
    if data.get("currency") is None:
        data["currency"] = subsidiary.data["currency"]
    if data.get("entityId") is None:
        data["entityId"] = data["companyName"]
    if data.get("creditHoldOverride") not in CREDIT_HOLD:
        raise invalid(f"Invalid credit hold value {data.get('creditHoldOverride')!r}.",
                      "creditHoldOverride")


def _journal(store: NetSuiteStore, data: dict[str, Any]) -> None:
    subsidiary = _record(store, "subsidiary", data["subsidiary"]) if data.get("subsidiary") \
        else None
    if subsidiary is None:
        raise user_error("Please enter value(s) for: Subsidiary", "subsidiary")
    if data.get("currency") is None:
        data["currency"] = subsidiary.data["currency"]
    lines = data.get("line") or []
    if len(lines) < 2:
        raise user_error("A journal entry needs at least two lines.", "line")
    debits = credits = ZERO
    for index, line in enumerate(lines):
        path = f"line.items[{index}]"
        debit, credit = line.get("debit"), line.get("credit")
        if (debit is None) == (credit is None):
            raise user_error("Each line must have either a debit or a credit amount.", path)
        amount = debit if debit is not None else credit
        assert amount is not None
        if amount < 0:
            raise invalid("Journal amounts must not be negative.", path)
        _check_precision(store, data["currency"], amount, path)
        if debit is not None:
            debits += debit
        else:
            credits += amount
    if debits != credits:
        raise user_error(f"The transaction is out of balance: debits {debits}, credits "
                         f"{credits}.", "line")


def _deposit(store: NetSuiteStore, data: dict[str, Any], record_id: str | None,
             effects: Effects) -> None:
    account = _record(store, "account", data["account"])
    if account.data.get("acctType") != "Bank":
        raise user_error("A deposit goes to a bank account.", "account")
    if data.get("subsidiary") is None:
        raise user_error("Please enter value(s) for: Subsidiary", "subsidiary")
    if data.get("currency") is None:
        data["currency"] = _record(store, "subsidiary", data["subsidiary"]).data["currency"]
    for index, line in enumerate(data.get("payment") or []):
        if not line.get("deposit", True):
            continue
        path = f"payment.items[{index}]"
        payment = _record(store, "customerPayment", line["doc"])
        if not payment.data.get("undepFunds", True):
            raise user_error(f"Payment {payment.id} was not received into undeposited funds.",
                             f"{path}.doc")
        holder = store.ledger.deposits.get(payment.id)
        if holder is not None and holder != record_id:
            raise user_error(f"Payment {payment.id} is already deposited.", f"{path}.doc")
        if payment.data.get("currency") != data["currency"]:
            raise user_error(f"Payment {payment.id} is in another currency.", f"{path}.doc")
        amount = Decimal(payment.data["payment"])
        if line.get("paymentAmount") is None:
            line["paymentAmount"] = amount
        elif line["paymentAmount"] != amount:
            raise user_error(f"The deposit amount must equal the payment {amount}.",
                             f"{path}.paymentAmount")
        effects.deposits.append(payment.id)


def check(store: NetSuiteStore, spec: RecordSpec, data: dict[str, Any],
          record_id: str | None) -> Effects:
    """Apply defaults and refuse what NetSuite would refuse. Mutates ``data``."""
    effects = Effects()
    kind = spec.name
    if kind == "customer":
        _customer(store, data)
    elif kind == "accountingPeriod" and data["startDate"] > data["endDate"]:
        raise invalid("The start date must not be after the end date.", "startDate")
    if spec.family is not Family.TRANSACTION:
        return effects
    if kind in SOLD_TO:
        _customer_terms(store, data, "entity", kind)
        _item_lines(store, data, required=True)
        _tax_total(store, data)
    elif kind in ("customerPayment", "customerRefund"):
        _customer_terms(store, data, "customer", kind)
    elif kind == "journalEntry":
        _journal(store, data)
    elif kind == "deposit":
        _deposit(store, data, record_id, effects)
    if kind == "invoice" and data.get("dueDate") and data["dueDate"] < data["tranDate"]:
        raise invalid("The due date must not be before the transaction date.", "dueDate")
    if kind in POSTING_TYPES:
        _check_period(store, kind, data)
    if kind == "customerPayment":
        payment = Decimal(data["payment"])
        if payment <= 0:
            raise invalid("The payment amount must be positive.", "payment")
        _check_precision(store, data["currency"], payment, "payment")
        if not data.get("undepFunds", True) and data.get("account") is None:
            raise user_error("Please enter value(s) for: Account", "account")
        effects.applications = _applications(store, data, record_id, "customer", payment)
    elif kind == "creditMemo":
        total = _item_lines(store, data, required=True) + _tax_total(store, data)
        effects.applications = _applications(store, data, record_id, "entity", total)
    elif kind == "customerRefund":
        effects.applications = _applications(store, data, record_id, "customer", None)
        if not effects.applications:
            raise user_error("Apply the refund to at least one credit or payment.", "apply")
    return effects


def check_delete(store: NetSuiteStore, record: StoredRecord) -> None:
    if store.ledger.applied_to(record.id) or record.id in store.ledger.deposits:
        raise NetSuiteError(400, ErrorCode.USER_ERROR,
                            "This record cannot be deleted because it has dependent records.")
    if record.type == "customer":
        for tran_type in ("invoice", "salesOrder", "creditMemo", "customerPayment"):
            for tran in store.all(tran_type):
                if record.id in (tran.data.get("entity"), tran.data.get("customer")):
                    raise NetSuiteError(400, ErrorCode.USER_ERROR,
                                        "This record cannot be deleted because it has "
                                        "dependent records.")


def derive(store: NetSuiteStore, record: StoredRecord) -> dict[str, Any]:
    """Read-only values NetSuite computes: totals, amount remaining, status."""
    kind = record.type
    data = record.data
    if kind in ("invoice", "creditMemo", "salesOrder"):
        subtotal = sum((line.get("amount") or ZERO for line in data.get("item") or []), ZERO)
        tax = sum((line["taxAmount"] for line in data.get("taxDetails") or []), ZERO)
        out: dict[str, Any] = {"subtotal": subtotal, "taxTotal": tax, "total": subtotal + tax}
        if kind == "invoice":
            remaining = open_amount(store, record)
            out.update(amountPaid=subtotal + tax - remaining, amountRemaining=remaining,
                       status="Paid In Full" if remaining == 0 else "Open")
        elif kind == "creditMemo":
            remaining = open_amount(store, record)
            out.update(applied=subtotal + tax - remaining, amountRemaining=remaining,
                       unapplied=remaining,
                       status="Fully Applied" if remaining == 0 else "Open")
        else:
            out["status"] = "Pending Fulfillment"
        return out
    if kind == "customerPayment":
        unapplied = open_amount(store, record)
        return {"total": Decimal(data["payment"]), "applied": Decimal(data["payment"]) - unapplied,
                "unapplied": unapplied,
                "status": "Deposited" if record.id in store.ledger.deposits else
                ("Not Deposited" if data.get("undepFunds", True) else "Deposited")}
    if kind in ("customerRefund", "deposit", "journalEntry"):
        return {"total": document_total(store, record)}
    return {}


__all__ = ["Effects", "allowed_currencies", "check", "check_delete", "derive",
           "document_total", "open_amount", "period_for"]
