"""Pure functions between canonical tax requests and results and AvaTax's models.

* A :class:`~accord.canonical.tax.TaxRequest` becomes a ``CreateTransactionModel``: the
  document id is the transaction ``code``, the customer id its ``customerCode``, the
  addresses ``shipFrom``/``shipTo``, the buyer's VAT id ``businessIdentificationNo``, each
  line's SKU its ``itemCode``; amounts travel as decimal strings.
* A ``TransactionModel`` becomes a :class:`~accord.canonical.tax.TaxResult`: each
  ``TransactionLineDetailModel`` a :class:`~accord.canonical.tax.JurisdictionTax` (rates
  turned from fractions into percents), each line's treatment read from its amounts, its
  exemption and its ``vatCode``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from accord.canonical.money import Money
from accord.canonical.party import Address
from accord.canonical.tax import (
    CreditKind,
    JurisdictionKind,
    JurisdictionTax,
    TaxCredit,
    TaxDocumentStatus,
    TaxedLine,
    TaxRequest,
    TaxResult,
    TaxTreatment,
)
from accord.connectors.avatax.errors import SYSTEM
from accord.errors import DataQualityError, Team

KINDS = {"CNT": JurisdictionKind.COUNTRY, "STA": JurisdictionKind.STATE,
         "CTY": JurisdictionKind.COUNTY, "CIT": JurisdictionKind.CITY,
         "STJ": JurisdictionKind.SPECIAL}
STATUSES = {"Temporary": TaxDocumentStatus.ESTIMATE, "Saved": TaxDocumentStatus.RECORDED,
            "Posted": TaxDocumentStatus.RECORDED, "Committed": TaxDocumentStatus.COMMITTED,
            "Cancelled": TaxDocumentStatus.VOIDED, "Adjusted": TaxDocumentStatus.SUPERSEDED}
REFUND_TYPES = {CreditKind.FULL: "Full", CreditKind.LINES: "Partial",
                CreditKind.PERCENTAGE: "Percentage", CreditKind.TAX_ONLY: "TaxOnly"}
REVERSE_CHARGE = "RC"


def address(value: Address) -> dict[str, str]:
    found = {"line1": value.line1, "city": value.city, "country": value.country}
    if value.line2:
        found["line2"] = value.line2
    if value.region:
        found["region"] = value.region
    if value.postal_code:
        found["postalCode"] = value.postal_code
    return found


def transaction_model(request: TaxRequest, *, kind: str, commit: bool,
                      company_code: str) -> dict[str, Any]:
    model: dict[str, Any] = {
        "type": kind, "code": request.document_id, "companyCode": company_code,
        "date": request.date.isoformat(), "customerCode": request.customer_id,
        "currencyCode": request.currency, "commit": commit,
        "addresses": {"shipFrom": address(request.ship_from),
                      "shipTo": address(request.ship_to)},
        "lines": [{"number": line.number, "itemCode": line.sku,
                   "quantity": format(line.quantity, "f"),
                   "amount": format(line.amount.amount, "f"),
                   **({"taxCode": line.tax_code} if line.tax_code else {}),
                   **({"description": line.description} if line.description else {})}
                  for line in request.lines]}
    if request.customer_tax_id:
        model["businessIdentificationNo"] = request.customer_tax_id
    if request.exemption_number:
        model["exemptionNo"] = request.exemption_number
    return model


def refund_model(credit: TaxCredit) -> dict[str, Any]:
    model: dict[str, Any] = {"refundTransactionCode": credit.credit_id,
                             "refundDate": credit.date.isoformat(),
                             "refundType": REFUND_TYPES[credit.kind],
                             "referenceCode": credit.document_id}
    if credit.kind is CreditKind.LINES:
        model["refundLines"] = list(credit.line_numbers)
    if credit.kind is CreditKind.PERCENTAGE and credit.percentage is not None:
        model["refundPercentage"] = format(credit.percentage, "f")
    return model


def _money(value: Any, currency: str, field: str) -> Money:
    if isinstance(value, float):  # parse_float=Decimal keeps floats out; a bug if one is here
        raise DataQualityError(field, "an amount arrived as a float",
                               owner=Team.INTEGRATION_ENGINEERING, system=SYSTEM)
    return Money.of(Decimal(value if value is not None else 0), currency)


def _treatment(line: dict[str, Any], tax: Money, exempt: Money) -> TaxTreatment:
    if line.get("vatCode") == REVERSE_CHARGE:
        return TaxTreatment.REVERSE_CHARGE
    if exempt.amount and not tax.amount:
        return TaxTreatment.EXEMPT
    if tax.amount:
        return TaxTreatment.TAXED
    return TaxTreatment.NOT_TAXABLE


def _jurisdiction(detail: dict[str, Any], currency: str, where: str) -> JurisdictionTax:
    kind = KINDS.get(str(detail.get("jurisType")))
    if kind is None:
        raise DataQualityError(f"{where}.jurisType", f"unknown jurisdiction type "
                               f"{detail.get('jurisType')!r}",
                               owner=Team.INTEGRATION_ENGINEERING, system=SYSTEM)
    return JurisdictionTax(
        kind=kind, code=str(detail.get("jurisCode") or ""),
        name=str(detail.get("jurisName") or detail.get("jurisCode")),
        country=str(detail.get("country") or ""), region=detail.get("region") or None,
        rate=Decimal(detail.get("rate") or 0) * 100,
        taxable_amount=_money(detail.get("taxableAmount"), currency, f"{where}.taxableAmount"),
        exempt_amount=_money(detail.get("exemptAmount"), currency, f"{where}.exemptAmount"),
        amount=_money(detail.get("tax"), currency, f"{where}.tax"),
        tax_name=str(detail.get("taxName") or ""))


def _line(line: dict[str, Any], currency: str, index: int) -> TaxedLine:
    where = f"lines[{index}]"
    tax = _money(line.get("tax"), currency, f"{where}.tax")
    exempt = _money(line.get("exemptAmount"), currency, f"{where}.exemptAmount")
    return TaxedLine(
        number=str(line.get("lineNumber")), tax=tax, exempt_amount=exempt,
        amount=_money(line.get("lineAmount"), currency, f"{where}.lineAmount"),
        taxable_amount=_money(line.get("taxableAmount"), currency, f"{where}.taxableAmount"),
        treatment=_treatment(line, tax, exempt), tax_code=line.get("taxCode") or None,
        jurisdictions=tuple(_jurisdiction(detail, currency, f"{where}.details[{n}]")
                            for n, detail in enumerate(line.get("details") or [])))


def result(body: dict[str, Any], document_id: str | None = None) -> TaxResult:
    currency = str(body.get("currencyCode") or "USD")
    lines = tuple(_line(line, currency, index)
                  for index, line in enumerate(body.get("lines") or []))
    software = str(body.get("softwareVersion") or "")
    return TaxResult(
        document_id=document_id or str(body["code"]), system_ref=str(body.get("id") or 0),
        status=STATUSES.get(str(body.get("status")), TaxDocumentStatus.RECORDED),
        currency=currency, date=date.fromisoformat(str(body["date"])[:10]), lines=lines,
        subtotal=_money(body.get("totalAmount"), currency, "totalAmount"),
        tax_total=_money(body.get("totalTax"), currency, "totalTax"),
        version=int(body.get("version") or 1),
        rates_version=software.rpartition("rates ")[2] if "rates " in software else "")


__all__ = ["address", "refund_model", "result", "transaction_model"]
