"""The tax engine: one line of a ``CreateTransactionModel`` in, its ``TransactionLineModel``
with one ``TransactionLineDetailModel`` per jurisdiction out, from the rate table.

* **US**: with nexus in the destination state, the state, county, city and special
  jurisdictions of the place each tax the line at their rate (``jurisType`` STA, CTY, CIT,
  STJ); without nexus, or for a tax code the state does not tax, the line is non-taxable.
* **EU VAT**: to a business giving its VAT id (``businessIdentificationNo``) in another
  country than the seller's, reverse charge (rate 0, ``vatCode`` ``RC``); otherwise the
  destination country's standard rate (``vatCode`` ``STD``; cross-border to a consumer this
  is the One-Stop Shop rate).
* **Exemptions**: an exemption certificate of the customer valid on the date whose exposure
  zone is the destination state, an ``exemptionNo``, or an ``entityUseCode`` (A to R) make
  the line exempt (``exemptAmount``, ``exemptCertId``).

Each detail's tax is its taxable amount times its rate, rounded half up to the currency's
exponent; a line's tax is the sum of its details.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from accord.sandboxes.avatax.addresses import Resolved
from accord.sandboxes.avatax.rates import Local, RateTable, TaxCode

USE_CODES = frozenset(string.ascii_uppercase[:18])  # A..R: AvaTax's entity use codes


@dataclass(frozen=True)
class Exemption:
    """Why a line is exempt: the certificate's id (0 without one) and its number or code."""

    cert_id: int
    number: str
    reason: str


@dataclass(frozen=True)
class LineInput:
    number: str
    amount: Decimal
    quantity: Decimal
    tax_code: TaxCode
    item_code: str
    description: str
    destination: Resolved
    origin: Resolved | None
    business_id: str | None
    exemption: Exemption | None
    exponent: int


def rounded(value: Decimal, exponent: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-exponent), rounding=ROUND_HALF_UP)


def _detail(line: LineInput, *, country: str, region: str, juris_type: str, juris_code: str,
            juris_name: str, tax_name: str, rate: Decimal, taxable: bool,
            non_taxable_type: str | None = None, vat: bool = False,
            rate_type: str = "General") -> dict[str, Any]:
    zero = rounded(Decimal(0), line.exponent)
    exempt = line.exemption is not None and taxable
    taxable_amount = line.amount if taxable and not exempt else zero
    tax = rounded(taxable_amount * rate, line.exponent)
    kind = {"STA": "State", "CTY": "County", "CIT": "City", "STJ": "Special",
            "CNT": "Country"}[juris_type]
    return {
        "country": country, "region": region, "jurisType": juris_type,
        "jurisdictionType": kind, "jurisCode": juris_code, "jurisName": juris_name,
        "signatureCode": juris_code, "stateAssignedNo": "", "taxName": tax_name,
        "taxType": "Output" if vat else "Sales", "taxSubTypeId": "O" if vat else "S",
        "taxTypeGroupId": "InputAndOutput" if vat else "SalesAndUse",
        "rateType": rate_type, "rateTypeCode": {"General": "G", "Standard": "S",
                                                "Zero": "Z"}[rate_type],
        "rate": rate if taxable and not exempt else (rate if exempt else Decimal(0)),
        "taxableAmount": taxable_amount, "tax": tax, "taxCalculated": tax,
        "exemptAmount": line.amount if exempt else zero,
        "exemptReasonId": line.exemption.reason if exempt and line.exemption else "",
        "nonTaxableAmount": zero if taxable else line.amount,
        "nonTaxableType": non_taxable_type or "", "sourcing": "Destination",
        "inState": line.origin is not None and line.origin.region == region,
        "liabilityType": "Seller", "unitOfBasis": "PerCurrencyUnit", "isNonPassThru": False,
        "isFee": False, "reportingTaxableUnits": taxable_amount, "reportingTax": tax,
        "reportingTaxCalculated": tax,
    }


def _us(table: RateTable, line: LineInput) -> list[dict[str, Any]]:
    place = line.destination.place
    region = line.destination.region or ""
    state = table.state(region)
    if state is None or place is None:
        return []
    if not state.nexus:
        return [_detail(line, country="US", region=region, juris_type="STA",
                        juris_code=state.code, juris_name=state.name,
                        tax_name=f"{region} STATE TAX", rate=Decimal(0), taxable=False,
                        non_taxable_type="NexusRule")]
    taxable = line.tax_code.taxable_in(region)
    rule = None if taxable else "ProductTaxabilityRule"
    locals_: list[tuple[str, Local]] = [("CTY", place.county),
                                        ("CIT", place.city_jurisdiction),
                                        *(("STJ", special) for special in place.specials)]
    found = [_detail(line, country="US", region=region, juris_type="STA",
                     juris_code=state.code, juris_name=state.name,
                     tax_name=f"{region} STATE TAX", rate=state.rate, taxable=taxable,
                     non_taxable_type=rule)]
    for kind, local in locals_:
        label = {"CTY": "COUNTY", "CIT": "CITY", "STJ": "SPECIAL"}[kind]
        found.append(_detail(line, country="US", region=region, juris_type=kind,
                             juris_code=local.code, juris_name=local.name,
                             tax_name=f"{region} {label} TAX", rate=local.rate,
                             taxable=taxable, non_taxable_type=rule))
    return found


def reverse_charged(line: LineInput) -> bool:
    origin = line.origin.country if line.origin is not None else None
    return bool(line.business_id) and origin is not None \
        and origin != line.destination.country


def _vat(table: RateTable, line: LineInput) -> list[dict[str, Any]]:
    country = line.destination.country
    vat = table.vat_of(country)
    if vat is None:
        return []
    taxable = line.tax_code.taxable
    if reverse_charged(line):
        return [_detail(line, country=country, region=country, juris_type="CNT",
                        juris_code=country, juris_name=vat.name,
                        tax_name=f"{country} VAT REVERSE CHARGE", rate=Decimal(0),
                        taxable=taxable, vat=True, rate_type="Zero")]
    return [_detail(line, country=country, region=country, juris_type="CNT",
                    juris_code=country, juris_name=vat.name,
                    tax_name=f"{country} STANDARD RATE", rate=vat.rate, taxable=taxable,
                    non_taxable_type=None if taxable else "ProductTaxabilityRule", vat=True,
                    rate_type="Standard")]


def line_body(table: RateTable, line: LineInput) -> dict[str, Any]:
    details = _us(table, line) if line.destination.country == "US" else _vat(table, line)
    zero = rounded(Decimal(0), line.exponent)
    tax = sum((detail["tax"] for detail in details), zero)
    taxable = max((detail["taxableAmount"] for detail in details), default=zero)
    exempt = max((detail["exemptAmount"] for detail in details), default=zero)
    body: dict[str, Any] = {
        "lineNumber": line.number, "itemCode": line.item_code,
        "description": line.description, "quantity": line.quantity,
        "lineAmount": line.amount, "discountAmount": zero, "taxCode": line.tax_code.code,
        "isItemTaxable": any(detail["taxableAmount"] or detail["exemptAmount"]
                             for detail in details),
        "taxableAmount": taxable, "exemptAmount": exempt, "tax": tax, "taxCalculated": tax,
        "taxIncluded": False, "exemptCertId": line.exemption.cert_id if line.exemption else 0,
        "exemptNo": line.exemption.number if line.exemption else "",
        "entityUseCode": line.exemption.reason if line.exemption
        and line.exemption.reason in USE_CODES else "",
        "businessIdentificationNo": line.business_id or "",
        "vatCode": ("RC" if reverse_charged(line) else "STD")
        if line.destination.country != "US" and details else "",
        "details": details,
    }
    return body


SUMMARY_KEY = ("country", "region", "jurisType", "jurisCode", "jurisName", "taxType",
               "taxSubTypeId", "taxName", "rateType", "rate")


def summary(lines: list[dict[str, Any]], exponent: int) -> list[dict[str, Any]]:
    """``TransactionSummary``: the details added up per jurisdiction, tax and rate."""
    zero = rounded(Decimal(0), exponent)
    grouped: dict[tuple[Any, ...], dict[str, Any]] = {}
    for line in lines:
        for detail in line.get("details", []):
            key = tuple(detail[name] for name in SUMMARY_KEY)
            entry = grouped.setdefault(key, {
                "country": detail["country"], "region": detail["region"],
                "jurisType": detail["jurisType"], "jurisCode": detail["jurisCode"],
                "jurisName": detail["jurisName"], "taxAuthorityType": 45,
                "stateAssignedNo": "", "taxType": detail["taxType"],
                "taxSubType": detail["taxSubTypeId"], "taxName": detail["taxName"],
                "rateType": detail["rateType"], "rate": detail["rate"], "taxable": zero,
                "tax": zero, "taxCalculated": zero, "nonTaxable": zero, "exemption": zero})
            entry["taxable"] += detail["taxableAmount"]
            entry["tax"] += detail["tax"]
            entry["taxCalculated"] += detail["taxCalculated"]
            entry["nonTaxable"] += detail["nonTaxableAmount"]
            entry["exemption"] += detail["exemptAmount"]
    return list(grouped.values())


__all__ = ["USE_CODES", "Exemption", "LineInput", "line_body", "reverse_charged", "rounded",
           "summary"]
