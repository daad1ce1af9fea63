"""Versioned reference data: how accord's codes map to one NetSuite account's internal ids.

Subsidiaries (legal entity codes), currencies, items (SKUs), revenue and GL accounts,
accounting periods, terms and segments live in a TOML or JSON file validated by
:class:`RefData`, never in the mapping code. ``load_refdata()`` reads the bundled
``refdata/default.v1.toml`` (which matches the accord sandbox) unless a path is given.
"""

from __future__ import annotations

import json
import tomllib
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from accord.errors import DataQualityError, Team

SYSTEM = "netsuite"
ITEM_RECORD_TYPES = ("inventoryItem", "nonInventorySaleItem", "serviceSaleItem")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SubsidiaryRef(_Model):
    id: str
    currency: str


class ItemRef(_Model):
    id: str
    record_type: str = Field(pattern="^(inventoryItem|nonInventorySaleItem|serviceSaleItem)$")


class AccountRoles(_Model):
    cash: str
    undeposited_funds: str
    accounts_receivable: str
    tax_payable: str
    revenue: str
    processor_fees: str
    deferred_revenue: str | None = None
    """Where invoiced revenue waits until recognized (``docs/revenue.md``)."""


class PeriodRefs(_Model):
    name_format: str = "%b %Y"
    ids: dict[str, str] = Field(default_factory=dict)

    def name(self, period: str) -> str:
        year, month = (int(part) for part in period.split("-"))
        return date(year, month, 1).strftime(self.name_format)


class Segments(_Model):
    departments: dict[str, str] = Field(default_factory=dict)
    classes: dict[str, str] = Field(default_factory=dict)
    locations: dict[str, str] = Field(default_factory=dict)


def _missing(field: str, what: str, owner: Team = Team.MASTER_DATA) -> DataQualityError:
    return DataQualityError(field, f"no NetSuite mapping for {what} in the reference data",
                            owner=owner, system=SYSTEM)


def _reverse(mapping: dict[str, str], internal_id: str, field: str) -> str:
    for key, value in mapping.items():
        if value == internal_id:
            return key
    raise DataQualityError(field, f"NetSuite id {internal_id} has no accord code in the "
                           "reference data", owner=Team.MASTER_DATA, system=SYSTEM)


class RefData(_Model):
    version: str
    subsidiaries: dict[str, SubsidiaryRef]
    currencies: dict[str, str]
    items: dict[str, ItemRef] = Field(default_factory=dict)
    default_item: ItemRef | None = None
    discount_item: ItemRef | None = None
    item_types: dict[str, str] = Field(default_factory=dict)
    revenue_accounts: dict[str, str] = Field(default_factory=dict)
    accounts: dict[str, str] = Field(default_factory=dict)
    roles: AccountRoles
    periods: PeriodRefs = PeriodRefs()
    terms: dict[str, str] = Field(default_factory=dict)
    segments: Segments = Segments()

    @model_validator(mode="after")
    def _unambiguous(self) -> Self:
        """Reverse lookups need each NetSuite id to stand for one accord code."""
        for name, table in (("items", {sku: ref.id for sku, ref in self.items.items()}),
                            ("currencies", self.currencies), ("accounts", self.accounts)):
            ids = list(table.values())
            if len(ids) != len(set(ids)):
                raise ValueError(f"{name}: two codes map to the same NetSuite id")
        return self

    # -- forward ------------------------------------------------------------------------
    def subsidiary(self, code: str, field: str = "legal_entity") -> SubsidiaryRef:
        found = self.subsidiaries.get(code)
        if found is None:
            raise _missing(field, f"legal entity {code!r}")
        return found

    def currency_id(self, code: str, field: str = "currency") -> str:
        found = self.currencies.get(code)
        if found is None:
            raise _missing(field, f"currency {code!r}", Team.FINANCE_OPERATIONS)
        return found

    def item(self, sku: str | None, field: str) -> ItemRef:
        if sku is None:
            if self.default_item is None:
                raise _missing(field, "lines without a SKU", Team.REVENUE_OPERATIONS)
            return self.default_item
        found = self.items.get(sku)
        if found is None:
            raise _missing(field, f"SKU {sku!r}", Team.REVENUE_OPERATIONS)
        return found

    def item_type(self, kind: str) -> str:
        found = self.item_types.get(kind)
        if found is None:
            raise _missing("kind", f"product kind {kind!r}", Team.REVENUE_OPERATIONS)
        return found

    def revenue_account(self, category: str) -> str:
        return self.revenue_accounts.get(category, self.roles.revenue)

    def account_id(self, number: str, field: str) -> str:
        found = self.accounts.get(number)
        if found is None:
            raise _missing(field, f"GL account {number!r}", Team.FINANCE_OPERATIONS)
        return found

    def segment_id(self, kind: str, name: str | None, field: str) -> str | None:
        if name is None:
            return None
        table = getattr(self.segments, kind)
        found = table.get(name)
        if found is None:
            raise _missing(field, f"{kind[:-1]} {name!r}", Team.FINANCE_OPERATIONS)
        return str(found)

    # -- reverse ------------------------------------------------------------------------
    def subsidiary_code(self, internal_id: str) -> str:
        for code, ref in self.subsidiaries.items():
            if ref.id == internal_id:
                return code
        raise DataQualityError("subsidiary", f"NetSuite subsidiary {internal_id} has no legal "
                               "entity code in the reference data", system=SYSTEM)

    def currency_code(self, internal_id: str) -> str:
        return _reverse(self.currencies, internal_id, "currency")

    def sku(self, internal_id: str) -> str | None:
        if self.default_item is not None and self.default_item.id == internal_id and \
                not any(ref.id == internal_id for ref in self.items.values()):
            return None
        for sku, ref in self.items.items():
            if ref.id == internal_id:
                return sku
        return None

    def account_number(self, internal_id: str) -> str:
        return _reverse(self.accounts, internal_id, "account")

    def segment_name(self, kind: str, internal_id: str | None) -> str | None:
        if internal_id is None:
            return None
        return _reverse(getattr(self.segments, kind), internal_id, kind)


def load_refdata(path: Path | None = None) -> RefData:
    """Read and validate a reference-data file (``.toml`` or ``.json``)."""
    if path is None:
        text = resources.files("accord.connectors.netsuite.refdata").joinpath(
            "default.v1.toml").read_text(encoding="utf-8")
        return RefData.model_validate(tomllib.loads(text))
    raw = path.read_text(encoding="utf-8")
    data = json.loads(raw) if path.suffix.lower() == ".json" else tomllib.loads(raw)
    return RefData.model_validate(data)


__all__ = ["ITEM_RECORD_TYPES", "AccountRoles", "ItemRef", "PeriodRefs", "RefData",
           "Segments", "SubsidiaryRef", "load_refdata"]
