"""Record metadata: the fields and sublists of each emulated record type."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    TEXT = "text"
    DECIMAL = "decimal"
    BOOL = "bool"
    DATE = "date"
    INT = "int"
    REF = "ref"
    SELECT = "select"
    """A value from a list (``acctType``): stored as its id, sent as ``{"id", "refName"}``."""


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: Kind = Kind.TEXT
    targets: tuple[str, ...] = ()
    """For references: the record types the reference may point to."""
    required: bool = False
    default: Any = None
    label: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    """For selects: (id, refName) of each value."""

    @property
    def column(self) -> str:
        return self.name.lower()

    @property
    def title(self) -> str:
        return self.label or self.name


@dataclass(frozen=True)
class SublistSpec:
    name: str
    fields: tuple[FieldSpec, ...]

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)


class Family(StrEnum):
    """Which SuiteQL table a record type lives in."""

    OWN = "own"
    ITEM = "item"
    TRANSACTION = "transaction"


@dataclass(frozen=True)
class RecordSpec:
    name: str
    fields: tuple[FieldSpec, ...]
    sublists: tuple[SublistSpec, ...] = ()
    family: Family = Family.OWN
    type_code: str = ""
    """``transaction.type`` (``CustInvc``) or ``item.itemtype`` (``Service``)."""
    ref_field: str = "name"
    """The field shown as ``refName`` when another record points here."""

    @property
    def table(self) -> str:
        if self.family is Family.OWN:
            return self.name.lower()
        return self.family.value

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)

    def sublist(self, name: str) -> SublistSpec | None:
        return next((s for s in self.sublists if s.name == name), None)


def ref(name: str, *targets: str, required: bool = False, label: str = "") -> FieldSpec:
    return FieldSpec(name, Kind.REF, targets, required=required, label=label)


def text(name: str, *, required: bool = False, default: str | None = None,
         label: str = "") -> FieldSpec:
    return FieldSpec(name, Kind.TEXT, required=required, default=default, label=label)


def decimal(name: str, *, required: bool = False, label: str = "") -> FieldSpec:
    return FieldSpec(name, Kind.DECIMAL, required=required, label=label)


def boolean(name: str, default: bool | None = None) -> FieldSpec:
    return FieldSpec(name, Kind.BOOL, default=default)


def integer(name: str) -> FieldSpec:
    return FieldSpec(name, Kind.INT)


def date_field(name: str, *, required: bool = False, label: str = "") -> FieldSpec:
    return FieldSpec(name, Kind.DATE, required=required, label=label)


def select(name: str, choices: tuple[tuple[str, str], ...], *, required: bool = False,
           label: str = "") -> FieldSpec:
    return FieldSpec(name, Kind.SELECT, required=required, label=label, choices=choices)


__all__ = ["Family", "FieldSpec", "Kind", "RecordSpec", "SublistSpec", "boolean", "date_field",
           "decimal", "integer", "ref", "select", "text"]
