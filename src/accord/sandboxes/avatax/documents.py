"""A ``CreateTransactionModel`` checked field by field and computed into the
``TransactionModel`` AvaTax answers: header, lines with details, summary, addresses.

Errors name the field as AvaTax's ``refersTo`` does (``lines[1].amount``,
``Addresses.ShipTo.PostalCode``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from accord.canonical.currencies import exponent, is_supported
from accord.sandboxes.avatax.addresses import Resolved, resolve
from accord.sandboxes.avatax.calculate import (
    USE_CODES,
    Exemption,
    LineInput,
    line_body,
    rounded,
    summary,
)
from accord.sandboxes.avatax.errors import AvaTaxError, invalid, required
from accord.sandboxes.avatax.rates import RateTable
from accord.sandboxes.avatax.store import Store
from accord.sandboxes.avatax.wire import decimal

TYPES = ("SalesOrder", "SalesInvoice", "ReturnOrder", "ReturnInvoice", "PurchaseOrder",
         "PurchaseInvoice")
ADDRESS_ROLES = ("singleLocation", "shipFrom", "shipTo", "pointOfOrderOrigin",
                 "pointOfOrderAcceptance")


def _lower_keys(value: Any) -> Any:
    """AvaTax reads field names without regard to case (``ShipTo`` or ``shipTo``)."""
    if isinstance(value, dict):
        return {str(k)[:1].lower() + str(k)[1:]: _lower_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lower_keys(item) for item in value]
    return value


def _day(value: Any, field: str) -> date:
    if value is None or value == "":
        raise required(field)
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise invalid(field, f"'{value}' is not a date (YYYY-MM-DD).") from None


@dataclass(frozen=True)
class Request:
    model: dict[str, Any]
    kind: str
    company: str
    code: str
    day: date
    customer: str
    currency: str
    commit: bool


def parse(raw: Any, default_company: str) -> Request:
    if not isinstance(raw, dict):
        raise AvaTaxError(400, "JsonFormatError", "The request body is not a JSON object.")
    model = _lower_keys(raw)
    kind = str(model.get("type") or "SalesOrder")
    if kind not in TYPES:
        raise invalid("type", f"'{kind}' is not a document type ({', '.join(TYPES)}).")
    customer = str(model.get("customerCode") or "").strip()
    if not customer:
        raise required("customerCode")
    currency = str(model.get("currencyCode") or "USD").upper()
    if not is_supported(currency):
        raise invalid("currencyCode", f"'{currency}' is not an ISO 4217 currency code.")
    lines = model.get("lines")
    if not isinstance(lines, list) or not lines:
        raise required("lines")
    return Request(model=model, kind=kind,
                   company=str(model.get("companyCode") or default_company),
                   code=str(model.get("code") or uuid.uuid4()), day=_day(model.get("date"),
                                                                         "date"),
                   customer=customer, currency=currency, commit=bool(model.get("commit")))


def _address(model: dict[str, Any], line: dict[str, Any], roles: tuple[str, ...]
             ) -> tuple[str, dict[str, Any]] | None:
    for source in (line.get("addresses") or {}, model.get("addresses") or {}):
        for role in roles:
            found = source.get(role)
            if isinstance(found, dict) and found:
                return role, found
    return None


def _resolved(table: RateTable, found: tuple[str, dict[str, Any]] | None, what: str
              ) -> Resolved | None:
    if found is None:
        return None
    role, address = found
    where = f"Addresses.{role[0].upper()}{role[1:]}"
    resolved = resolve(table, address, where=where)
    if not resolved.resolved:
        problem = resolved.problems[0]
        raise AvaTaxError(400, "InvalidAddress", f"The {what} address could not be "
                          f"resolved: {problem['details']}", refers_to=problem["refersTo"])
    return resolved


def _exemption(store: Store, request: Request, line: dict[str, Any], region: str | None
               ) -> Exemption | None:
    number = str(line.get("exemptionCode") or request.model.get("exemptionNo") or "")
    use = str(line.get("entityUseCode") or line.get("customerUsageType")
              or request.model.get("entityUseCode")
              or request.model.get("customerUsageType") or "").upper()
    if use and use not in USE_CODES:
        raise invalid("entityUseCode", f"'{use}' is not an entity use code (A to R).")
    for certificate in store.certificates_of(request.customer):
        if certificate.region == region and certificate.valid_on(request.day):
            return Exemption(certificate.id, certificate.number, certificate.reason)
    if number:
        return Exemption(0, number, "EXEMPTION NUMBER")
    if use:
        return Exemption(0, "", use)
    return None


def compute(table: RateTable, store: Store, request: Request, *, transaction_id: int,
            status: str, version: int, now: datetime) -> dict[str, Any]:
    model = request.model
    places = exponent(request.currency)
    lines: list[dict[str, Any]] = []
    addresses: list[dict[str, Any]] = []
    for index, raw in enumerate(model["lines"]):
        line = raw if isinstance(raw, dict) else {}
        amount = decimal(line.get("amount"))
        if amount is None:
            raise required(f"lines[{index}].amount")
        if rounded(amount, places) != amount:
            raise invalid(f"lines[{index}].amount", f"{amount} has more decimals than "
                          f"{request.currency} allows.")
        quantity = decimal(line.get("quantity", 1))
        if quantity is None:
            raise invalid(f"lines[{index}].quantity", "quantity must be a number.")
        code = table.tax_code(line.get("taxCode"))
        if code is None:
            raise AvaTaxError(400, "InvalidTaxCode",
                              f"Tax code '{line.get('taxCode')}' is not a known tax code.",
                              refers_to=f"lines[{index}].taxCode")
        destination = _resolved(table, _address(model, line, ("shipTo", "singleLocation",
                                                              "pointOfOrderAcceptance")),
                                "destination")
        if destination is None:
            raise AvaTaxError(400, "InvalidAddress", "An address is required for each line "
                              "(addresses.shipTo or addresses.singleLocation).",
                              refers_to=f"lines[{index}].addresses")
        origin = _resolved(table, _address(model, line, ("shipFrom", "singleLocation",
                                                         "pointOfOrderOrigin")), "origin")
        business_id = str(line.get("businessIdentificationNo")
                          or model.get("businessIdentificationNo") or "").strip() or None
        if business_id and destination.country != "US" \
                and not business_id.upper().startswith(destination.country):
            raise invalid("businessIdentificationNo", f"VAT id '{business_id}' is not one of "
                          f"the destination country {destination.country}.",
                          code="InvalidBusinessIdentificationNo")
        number = str(line.get("number") or index + 1)
        body = line_body(table, LineInput(
            number=number, amount=amount, quantity=quantity, tax_code=code,
            item_code=str(line.get("itemCode") or ""),
            description=str(line.get("description") or ""), destination=destination,
            origin=origin, business_id=business_id,
            exemption=_exemption(store, request, line, destination.region),
            exponent=places))
        body.update(id=transaction_id * 100 + index + 1, transactionId=transaction_id,
                    taxDate=request.day, reportingDate=request.day)
        for detail_index, detail in enumerate(body["details"]):
            detail.update(id=body["id"] * 100 + detail_index + 1,
                          transactionLineId=body["id"], transactionId=transaction_id)
        lines.append(body)
        addresses.append({"id": transaction_id * 10 + len(addresses) + 1,
                          "transactionId": transaction_id, **destination.given})
    zero = rounded(Decimal(0), places)
    first = lines[0]["details"][0] if lines[0]["details"] else {}
    return {
        "id": transaction_id, "code": request.code, "companyId": store.company.id,
        "companyCode": request.company, "date": request.day, "taxDate": request.day,
        "paymentDate": request.day, "status": status, "type": request.kind,
        "currencyCode": request.currency, "exchangeRateCurrencyCode": request.currency,
        "exchangeRate": 1, "exchangeRateEffectiveDate": request.day,
        "customerCode": request.customer, "customerVendorCode": request.customer,
        "entityUseCode": str(model.get("entityUseCode") or ""),
        "exemptNo": str(model.get("exemptionNo") or ""),
        "businessIdentificationNo": str(model.get("businessIdentificationNo") or ""),
        "purchaseOrderNo": str(model.get("purchaseOrderNo") or ""),
        "referenceCode": str(model.get("referenceCode") or ""),
        "description": str(model.get("description") or ""), "reconciled": False,
        "locked": False, "version": version, "batchCode": "",
        "totalAmount": sum((line["lineAmount"] for line in lines), zero),
        "totalDiscount": zero,
        "totalExempt": sum((line["exemptAmount"] for line in lines), zero),
        "totalTaxable": sum((line["taxableAmount"] for line in lines), zero),
        "totalTax": sum((line["tax"] for line in lines), zero),
        "totalTaxCalculated": sum((line["taxCalculated"] for line in lines), zero),
        "adjustmentReason": "NotAdjusted", "adjustmentDescription": "",
        "country": first.get("country", ""), "region": first.get("region", ""),
        "softwareVersion": f"accord AvaTax sandbox; rates {table.version}",
        "modifiedDate": now.isoformat(), "modifiedUserId": 0,
        "lines": lines, "addresses": addresses, "summary": summary(lines, places),
        "messages": [],
    }


def shown(body: dict[str, Any], include: str | None) -> dict[str, Any]:
    """The body as ``$include`` asks: everything by default, ``SummaryOnly`` without lines,
    ``LinesOnly`` without details."""
    wanted = {part.strip().lower() for part in (include or "").split(",") if part.strip()}
    if "summaryonly" in wanted:
        return {key: value for key, value in body.items() if key != "lines"}
    if "linesonly" in wanted:
        return {**body, "lines": [{k: v for k, v in line.items() if k != "details"}
                                  for line in body["lines"]], "summary": []}
    return body


__all__ = ["Request", "compute", "parse", "shown"]
