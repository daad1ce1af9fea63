"""HubSpot in the CRM role (:class:`accord.ports.CrmPort`): won deals read with their line
items, company and contacts as canonical documents; accord's links and billing status
written back as company and deal properties; the catalog published as products. HubSpot's
property names and option values stay here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from accord.canonical.catalog import Price, Product
from accord.canonical.deals import (
    AccountRead,
    BillingStatus,
    CustomerLinks,
    Deal,
    DealLinks,
    DealType,
)
from accord.canonical.lookups import CrmBillingView
from accord.connectors.crm_links import LinkFields, WonDeal
from accord.connectors.hubspot.client import HubSpotClient
from accord.connectors.hubspot.errors import SYSTEM
from accord.connectors.hubspot.mapping import (
    COMPANY_CHANGE_PROPERTIES,
    COMPANY_PROPERTIES,
    CONTACT_PROPERTIES,
    DEAL_PROPERTIES,
    LINE_PROPERTIES,
    canonical_id,
    company_to_customer,
    deal_currency,
    deal_to_contract,
    price_property,
    product_properties,
)
from accord.errors import DataQualityError, PermanentError, Team

DEAL_TYPES = {"newbusiness": DealType.NEW, "existingbusiness": DealType.UPGRADE}
"""The deal's ``dealtype`` -> what the deal does (any other type is new business)."""
STATUS_OPTIONS = {status: status.value for status in BillingStatus}
"""The canonical billing status -> the ``billing_status`` enumeration option."""
LINKS = LinkFields(status="billing_status", status_values=STATUS_OPTIONS, accord_id="accord_id",
                   billing_customer_id="billing_customer_id",
                   erp_customer_id="erp_customer_id",
                   billing_subscription_id="billing_subscription_id")
"""The company and deal properties accord writes back."""
FIELDS = {"tax_id": "vat_number", "billing_contact": "billing_email",
          "currency": "deal_currency_code", "legal_entity": "legal_entity",
          "deal_type": "dealtype", "lines": "line_items"}
"""Where each canonical fact of a deal comes from, for the errors that name a field."""


def _id(value: str, what: str) -> str:
    if not value.isdigit():
        raise PermanentError(f"{what} id {value!r} is not a HubSpot record id", system=SYSTEM)
    return value


class HubSpotCrm:
    """:class:`accord.ports.CrmPort` over one HubSpot account."""

    def __init__(self, client: HubSpotClient, *, system: str = SYSTEM) -> None:
        self.client = client
        self.system = system
        self.default_legal_entity = client.settings.legal_entity

    # -- deals --------------------------------------------------------------------------------
    def read_deal(self, deal_id: str) -> Deal:
        deal = self.client.read("deals", _id(deal_id, "deal"), DEAL_PROPERTIES)
        companies = self.client.associated("deals", deal_id, "companies")
        if not companies:
            raise DataQualityError("companies", "the deal has no associated company",
                                   owner=Team.REVENUE_OPERATIONS, system=SYSTEM)
        company = self.client.read("companies", companies[0], COMPANY_PROPERTIES)
        contacts = [self.client.read("contacts", contact_id, CONTACT_PROPERTIES)
                    for contact_id in self.client.associated("deals", deal_id, "contacts")]
        lines = [self.client.read("line_items", line_id, LINE_PROPERTIES)
                 for line_id in self.client.associated("deals", deal_id, "line_items")]
        legal_entity = deal.get("legal_entity") or company.get("legal_entity") \
            or self.default_legal_entity
        customer = company_to_customer(company, contacts=contacts,
                                       currency=deal_currency(deal),
                                       default_legal_entity=legal_entity)
        if customer.billing_contact is None:
            raise DataQualityError("billing_email", "the company has no billing contact (no "
                                   "billing_email, no contact with an email on the deal)",
                                   owner=Team.MASTER_DATA, system=SYSTEM)
        return WonDeal(
            system=self.system, deal_id=deal_id, account_id=str(company["id"]),
            deal_type=DEAL_TYPES.get(str(deal.get("dealtype") or ""), DealType.NEW),
            customer=customer, customer_written=canonical_id(company) is not None,
            contract=lambda customer_id: deal_to_contract(
                deal, lines, customer_id=customer_id, default_legal_entity=legal_entity),
            fields=FIELDS, line_sku_field=lambda index: f"line_items.{index}.hs_sku",
            line_count=len(lines), written_subscription=deal.get("billing_subscription_id"),
            written_contract=deal.get("accord_id")).deal()

    # -- companies ----------------------------------------------------------------------------
    def read_account(self, account_id: str, *, legal_entity: str) -> AccountRead:
        company = self.client.read("companies", _id(account_id, "company"),
                                   COMPANY_CHANGE_PROPERTIES)
        contacts = [self.client.read("contacts", contact_id, CONTACT_PROPERTIES)
                    for contact_id in self.client.associated("companies", account_id,
                                                             "contacts")[:1]]
        currency = company.get("currency_code") or self._deal_currency(account_id)
        return AccountRead(customer=company_to_customer(company, contacts=contacts,
                                                        currency=currency,
                                                        default_legal_entity=legal_entity),
                           record=company)

    def _deal_currency(self, company_id: str) -> str | None:
        """A company keeps no currency of its own: its first deal's."""
        for deal_id in self.client.associated("companies", company_id, "deals")[:1]:
            found = self.client.read("deals", deal_id, ["deal_currency_code"])
            return str(found.get("deal_currency_code") or "") or None
        return None

    # -- write-back ---------------------------------------------------------------------------
    def write_back_account(self, links: CustomerLinks) -> dict[str, Any]:
        fields = LINKS.account(links)
        self.client.update("companies", _id(links.account_id, "company"), fields)
        return fields

    def write_back_deal(self, links: DealLinks) -> dict[str, Any]:
        fields = LINKS.deal(links)
        self.client.update("deals", _id(links.deal_id, "deal"), fields)
        return fields

    # -- the catalog --------------------------------------------------------------------------
    def publish_product(self, product: Product, prices: Sequence[Price]) -> dict[str, str]:
        """One HubSpot product per canonical product, upserted on ``accord_id``; each list
        price is the product's ``hs_price_<currency>``, so its id names both."""
        product_id = self.client.upsert("products", "accord_id", product.id,
                                        product_properties(product, prices))
        published = {product.id: product_id}
        for price in prices:
            published[price.id] = f"{product_id}:{price_property(price.currency)}"
        return published

    def billing_view(self, *, account_id: str | None, contract_id: str | None
                     ) -> CrmBillingView:
        """HubSpot keeps no contract record: the subscription's status is not shown there."""
        company = (self.client.read("companies", _id(account_id, "company"),
                                    ["billing_status"]) if account_id is not None else {})
        return CrmBillingView(account_billing_status=company.get("billing_status"),
                              subscription_status=None)

    def close(self) -> None:
        self.client.close()


__all__ = ["DEAL_TYPES", "FIELDS", "STATUS_OPTIONS", "HubSpotCrm"]
