"""The parsed form of a SOQL query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum


class Op(StrEnum):
    EQ = "="
    NE = "!="
    LT = "<"
    GT = ">"
    LE = "<="
    GE = ">="
    LIKE = "LIKE"


@dataclass(frozen=True)
class RelativeDate:
    """A date literal such as ``TODAY`` or ``LAST_N_DAYS:30``."""

    name: str
    n: int | None = None


Value = str | Decimal | bool | None | date | datetime | RelativeDate


@dataclass(frozen=True)
class Comparison:
    path: tuple[str, ...]
    op: Op
    value: Value


@dataclass(frozen=True)
class In:
    path: tuple[str, ...]
    values: tuple[Value, ...]
    negated: bool = False


@dataclass(frozen=True)
class And:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    item: Condition


Condition = Comparison | In | And | Or | Not


@dataclass(frozen=True)
class OrderItem:
    path: tuple[str, ...]
    descending: bool = False
    nulls_last: bool | None = None

    @property
    def effective_nulls_last(self) -> bool:
        return self.descending if self.nulls_last is None else self.nulls_last


@dataclass(frozen=True)
class Query:
    object_name: str
    fields: tuple[tuple[str, ...], ...]
    count_only: bool = False
    where: Condition | None = None
    order_by: tuple[OrderItem, ...] = ()
    limit: int | None = None
    offset: int | None = None


__all__ = ["And", "Comparison", "Condition", "In", "Not", "Op", "Or", "OrderItem", "Query",
           "RelativeDate", "Value"]
