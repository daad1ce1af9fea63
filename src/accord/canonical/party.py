"""Customers and the people and places attached to them."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import EmailStr, Field

from accord.canonical.base import Entity, Frozen, NonEmptyStr
from accord.canonical.ids import CanonicalId, EntityType
from accord.canonical.money import CurrencyCode

CountryCode = Annotated[
    str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 country code")
]


class Address(Frozen):
    line1: NonEmptyStr
    line2: str | None = None
    city: NonEmptyStr
    region: str | None = Field(default=None, description="state, province or county")
    postal_code: str | None = None
    country: CountryCode


class TaxIdKind(StrEnum):
    VAT = "vat"
    GST = "gst"
    EIN = "ein"
    ABN = "abn"
    OTHER = "other"


class TaxRegistration(Frozen):
    country: CountryCode
    kind: TaxIdKind
    value: NonEmptyStr


class TaxProfile(Frozen):
    registrations: tuple[TaxRegistration, ...] = ()
    exempt: bool = False
    exemption_certificate: str | None = Field(
        default=None, description="certificate reference when the customer is tax exempt"
    )


class ContactRole(StrEnum):
    BILLING = "billing"
    PRIMARY = "primary"
    OTHER = "other"


class Contact(Frozen):
    name: NonEmptyStr
    email: EmailStr
    role: ContactRole = ContactRole.PRIMARY
    phone: str | None = None


class CustomerStatus(StrEnum):
    PROSPECT = "prospect"
    ACTIVE = "active"
    ON_HOLD = "on_hold"
    CLOSED = "closed"


class Customer(Entity):
    """A party that buys. ``legal_entity`` is the selling legal entity (ERP subsidiary) it
    contracts with."""

    entity_type = EntityType.CUSTOMER

    legal_name: NonEmptyStr
    legal_entity: NonEmptyStr = Field(description="selling legal entity / ERP subsidiary code")
    currency: CurrencyCode
    billing_address: Address | None = None
    shipping_address: Address | None = None
    tax_profile: TaxProfile = TaxProfile()
    parent_id: CanonicalId | None = None
    contacts: tuple[Contact, ...] = ()
    domain: str | None = Field(default=None, description="web domain, used for matching")
    status: CustomerStatus = CustomerStatus.ACTIVE

    @property
    def billing_contact(self) -> Contact | None:
        for contact in self.contacts:
            if contact.role is ContactRole.BILLING:
                return contact
        return self.contacts[0] if self.contacts else None


__all__ = [
    "Address",
    "Contact",
    "ContactRole",
    "CountryCode",
    "Customer",
    "CustomerStatus",
    "TaxIdKind",
    "TaxProfile",
    "TaxRegistration",
]
