"""General-ledger postings and revenue schedules. Every journal entry balances."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Self

from pydantic import Field, model_validator

from accord.canonical.base import Entity, Frozen, NonEmptyStr, at_least, require_currency
from accord.canonical.catalog import Sku
from accord.canonical.ids import CanonicalId, EntityType
from accord.canonical.money import CurrencyCode, Money, money_sum

AccountingPeriod = Annotated[
    str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="accounting period, YYYY-MM")
]


class AccountType(StrEnum):
    """The five classes of a chart of accounts."""

    ASSETS = "Assets"
    LIABILITIES = "Liabilities"
    EQUITY = "Equity"
    INCOME = "Income"
    EXPENSES = "Expenses"


class Side(StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"


class JournalLine(Frozen):
    account: NonEmptyStr = Field(description="GL account number")
    side: Side
    amount: Money
    memo: str | None = None
    department: str | None = None
    gl_class: str | None = Field(default=None, description="ERP classification (class)")
    location: str | None = None


class JournalEntry(Entity):
    """A balanced posting in one subsidiary, currency and period."""

    entity_type = EntityType.JOURNAL_ENTRY

    legal_entity: NonEmptyStr = Field(description="subsidiary the entry posts to")
    period: AccountingPeriod
    entry_date: date
    currency: CurrencyCode
    lines: Annotated[tuple[JournalLine, ...], at_least(2)]
    memo: str | None = None
    source_document: str | None = Field(default=None, description="what caused this entry")

    @model_validator(mode="after")
    def _balanced(self) -> Self:
        for index, line in enumerate(self.lines):
            require_currency(self.currency, **{f"lines.{index}.amount": line.amount})
            if not line.amount.amount > 0:
                raise ValueError(f"lines.{index}.amount: must be positive")
            if not line.amount.is_exact:
                raise ValueError(f"lines.{index}.amount: more decimals than {self.currency} allows")
        debits = self.total(Side.DEBIT)
        credits = self.total(Side.CREDIT)
        if debits != credits:
            raise ValueError(
                f"lines: the entry does not balance: debits {debits} != credits {credits}"
            )
        if self.entry_date.strftime("%Y-%m") != self.period:
            raise ValueError(
                f"period: entry_date {self.entry_date} is outside period {self.period}")
        return self

    def total(self, side: Side) -> Money:
        return money_sum((line.amount for line in self.lines if line.side is side), self.currency)


class Recognition(StrEnum):
    RATABLE = "ratable"
    POINT_IN_TIME = "point_in_time"
    USAGE = "usage"


class RevenueScheduleEntry(Frozen):
    period: AccountingPeriod
    amount: Money


class RevenueSchedule(Entity):
    """How an invoiced amount is recognised as revenue over periods."""

    entity_type = EntityType.REVENUE_SCHEDULE

    invoice_id: CanonicalId
    product_sku: Sku
    legal_entity: NonEmptyStr
    currency: CurrencyCode
    total: Money
    recognition: Recognition
    entries: Annotated[tuple[RevenueScheduleEntry, ...], at_least(1)]

    @model_validator(mode="after")
    def _adds_up(self) -> Self:
        require_currency(self.currency, total=self.total)
        for index, entry in enumerate(self.entries):
            require_currency(self.currency, **{f"entries.{index}.amount": entry.amount})
        periods = [entry.period for entry in self.entries]
        if periods != sorted(set(periods)):
            raise ValueError("entries: periods must be distinct and in order")
        scheduled = money_sum((entry.amount for entry in self.entries), self.currency)
        if scheduled != self.total:
            raise ValueError(f"entries: scheduled {scheduled} does not equal total {self.total}")
        return self


__all__ = [
    "AccountType",
    "AccountingPeriod",
    "JournalEntry",
    "JournalLine",
    "Recognition",
    "RevenueSchedule",
    "RevenueScheduleEntry",
    "Side",
]
