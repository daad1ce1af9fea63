"""The sandbox's versioned tax content (``rates.toml``), read once and validated: US states
with their nexus, the places the address resolver knows with their local jurisdictions, EU
VAT rates, and the tax codes with where each is taxable."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

TABLE = Path(__file__).with_name("rates.toml")
DEFAULT_TAX_CODE = "P0000000"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Rate = Decimal


class State(_Model):
    region: str = Field(min_length=2, max_length=3)
    name: str
    code: str
    rate: Rate = Field(ge=0, lt=1)
    nexus: bool


class Local(_Model):
    code: str
    name: str
    rate: Rate = Field(ge=0, lt=1)


class Place(_Model):
    postal_code: str
    line1: str
    city: str
    region: str
    latitude: Decimal
    longitude: Decimal
    county: Local
    city_jurisdiction: Local
    specials: tuple[Local, ...] = ()


class Vat(_Model):
    country: str = Field(min_length=2, max_length=2)
    name: str
    rate: Rate = Field(ge=0, lt=1)


class TaxCode(_Model):
    code: str
    type: str
    description: str
    taxable: bool = True
    exempt_regions: tuple[str, ...] = ()

    def taxable_in(self, region: str | None) -> bool:
        return self.taxable and (region or "") not in self.exempt_regions


class RateTable(_Model):
    version: str
    effective: str
    states: tuple[State, ...]
    places: tuple[Place, ...]
    vat: tuple[Vat, ...]
    tax_codes: tuple[TaxCode, ...]

    def state(self, region: str | None) -> State | None:
        return next((s for s in self.states if s.region == (region or "").upper()), None)

    def place(self, postal_code: str | None) -> Place | None:
        code = (postal_code or "").strip()[:5]
        return next((p for p in self.places if p.postal_code == code), None)

    def place_by_city(self, city: str | None, region: str | None) -> Place | None:
        wanted = ((city or "").strip().upper(), (region or "").strip().upper())
        return next((p for p in self.places if (p.city, p.region) == wanted), None)

    def vat_of(self, country: str | None) -> Vat | None:
        return next((v for v in self.vat if v.country == (country or "").upper()), None)

    def tax_code(self, code: str | None) -> TaxCode | None:
        wanted = (code or DEFAULT_TAX_CODE).strip().upper()
        return next((t for t in self.tax_codes if t.code == wanted), None)


@cache
def load(path: Path = TABLE) -> RateTable:
    with path.open("rb") as handle:
        return RateTable.model_validate(tomllib.load(handle))


__all__ = ["DEFAULT_TAX_CODE", "Local", "Place", "RateTable", "State", "TaxCode", "Vat",
           "load"]
