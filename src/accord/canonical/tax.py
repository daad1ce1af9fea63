"""Tax as accord speaks of it, whichever engine computes it: a request for a document's tax
(who buys, from where to where, which lines with which tax codes), and the tax the engine
found, line by line and jurisdiction by jurisdiction.

Rates are percents, as on :class:`~accord.canonical.billing.TaxLine`; every amount is
:class:`~accord.canonical.money.Money` in the request's currency.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Self

from pydantic import Field, model_validator

from accord.canonical.base import Frozen, NonEmptyStr, at_least
from accord.canonical.billing import TaxLine
from accord.canonical.money import Amount, CurrencyCode, Money, money_sum
from accord.canonical.party import Address

Percent = Annotated[Amount, Field(ge=0, le=100, description="percent")]


class JurisdictionKind(StrEnum):
    COUNTRY = "country"
    STATE = "state"
    COUNTY = "county"
    CITY = "city"
    SPECIAL = "special"


class TaxTreatment(StrEnum):
    """Why a line bears the tax it does."""

    TAXED = "taxed"
    EXEMPT = "exempt"                  # the customer holds an exemption
    NOT_TAXABLE = "not_taxable"        # no nexus there, or the product is not taxed there
    REVERSE_CHARGE = "reverse_charge"  # the business buyer accounts for the VAT


class TaxDocumentStatus(StrEnum):
    ESTIMATE = "estimate"        # calculated only, nothing recorded
    RECORDED = "recorded"        # recorded, not yet committed for reporting
    COMMITTED = "committed"      # reported to the authorities with the next filing
    VOIDED = "voided"
    SUPERSEDED = "superseded"    # replaced by an adjustment


class TaxRequestLine(Frozen):
    number: NonEmptyStr
    sku: NonEmptyStr
    amount: Money
    quantity: Annotated[Decimal, Field(gt=0)] = Decimal(1)
    tax_code: str | None = Field(default=None, description="the engine's product tax code "
                                 "(None: its default, tangible goods)")
    description: str = ""


class TaxRequest(Frozen):
    """The tax question for one document: ``document_id`` is accord's id for it and the
    engine's document code, so asking twice is asking about the same document."""

    document_id: NonEmptyStr
    customer_id: NonEmptyStr
    currency: CurrencyCode
    date: date
    ship_from: Address
    ship_to: Address
    customer_tax_id: str | None = Field(default=None, description="the buyer's VAT or other "
                                        "business tax id (a business buyer)")
    exemption_number: str | None = None
    lines: Annotated[tuple[TaxRequestLine, ...], at_least(1)]

    @model_validator(mode="after")
    def _one_currency(self) -> Self:
        for index, line in enumerate(self.lines):
            if line.amount.currency != self.currency:
                raise ValueError(f"lines.{index}.amount: {line.amount.currency} is not the "
                                 f"request's currency {self.currency}")
        return self


class JurisdictionTax(Frozen):
    kind: JurisdictionKind
    code: str
    name: NonEmptyStr
    country: str
    region: str | None = None
    rate: Percent
    taxable_amount: Money
    exempt_amount: Money
    amount: Money
    tax_name: str = ""


class TaxedLine(Frozen):
    number: NonEmptyStr
    amount: Money
    tax: Money
    taxable_amount: Money
    exempt_amount: Money
    treatment: TaxTreatment
    tax_code: str | None = None
    jurisdictions: tuple[JurisdictionTax, ...] = ()

    @model_validator(mode="after")
    def _sum_of_jurisdictions(self) -> Self:
        found = money_sum((j.amount for j in self.jurisdictions), self.tax.currency)
        if self.jurisdictions and found != self.tax:
            raise ValueError(f"tax: {self.tax} is not the sum of its jurisdictions ({found})")
        return self


class TaxResult(Frozen):
    """The tax an engine found for a document (or a refund of one), as it holds it now."""

    document_id: NonEmptyStr
    system_ref: str = Field(description="the engine's id of this version of the document")
    status: TaxDocumentStatus
    currency: CurrencyCode
    date: date
    lines: tuple[TaxedLine, ...]
    subtotal: Money
    tax_total: Money
    version: int = 1
    rates_version: str = ""

    @model_validator(mode="after")
    def _totals(self) -> Self:
        if money_sum((line.tax for line in self.lines), self.currency) != self.tax_total:
            raise ValueError("tax_total: not the sum of the lines' tax")
        if money_sum((line.amount for line in self.lines), self.currency) != self.subtotal:
            raise ValueError("subtotal: not the sum of the lines' amounts")
        return self

    def tax_lines(self) -> tuple[TaxLine, ...]:
        """The tax per jurisdiction and rate, as an invoice carries it."""
        grouped: dict[tuple[str, Decimal, str | None], list[Money]] = {}
        taxable: dict[tuple[str, Decimal, str | None], list[Money]] = {}
        for line in self.lines:
            for juris in line.jurisdictions:
                if not juris.amount.amount and not juris.taxable_amount.amount:
                    continue
                key = (juris.tax_name or juris.name, juris.rate, line.tax_code)
                grouped.setdefault(key, []).append(juris.amount)
                taxable.setdefault(key, []).append(juris.taxable_amount)
        return tuple(TaxLine(jurisdiction=name, rate=rate, tax_code=code,
                             amount=money_sum(grouped[(name, rate, code)], self.currency),
                             taxable_amount=money_sum(taxable[(name, rate, code)],
                                                      self.currency))
                     for (name, rate, code) in grouped)


class CreditKind(StrEnum):
    FULL = "full"
    LINES = "lines"
    PERCENTAGE = "percentage"
    TAX_ONLY = "tax_only"


class TaxCredit(Frozen):
    """Give back tax charged on a committed document: all of it, some lines, a share, or
    only the tax (an exemption shown after the sale). ``credit_id`` is accord's id of the
    credit (the refund's document code)."""

    document_id: NonEmptyStr
    credit_id: NonEmptyStr
    date: date
    kind: CreditKind = CreditKind.FULL
    line_numbers: tuple[str, ...] = ()
    percentage: Percent | None = None

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.kind is CreditKind.LINES and not self.line_numbers:
            raise ValueError("line_numbers: a credit of lines names at least one line")
        if self.kind is CreditKind.PERCENTAGE and not self.percentage:
            raise ValueError("percentage: a percentage credit needs a percentage above 0")
        return self


__all__ = ["CreditKind", "JurisdictionKind", "JurisdictionTax", "TaxCredit",
           "TaxDocumentStatus", "TaxRequest", "TaxRequestLine", "TaxResult", "TaxTreatment",
           "TaxedLine"]
