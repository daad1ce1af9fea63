"""Salesforce in the CRM role (:class:`accord.ports.CrmPort`): won deals read as canonical
documents, accord's links and billing status written back, the catalog published to the
standard price book. Salesforce's field names and picklist values stay here."""

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
from accord.connectors.salesforce.client import SalesforceClient
from accord.connectors.salesforce.intake import LINE_FIELDS, OPPORTUNITY_FIELDS
from accord.connectors.salesforce.mapping import BillingStatus as Picklist
from accord.connectors.salesforce.mapping import (
    account_to_customer,
    opportunity_to_contract,
    price_to_entry,
    product_to_product2,
    strip_attributes,
)
from accord.connectors.salesforce.streams import ACCOUNT_CHANGE_FIELDS, ACCOUNT_FIELDS
from accord.errors import DataQualityError, PermanentError, Team

SYSTEM = "salesforce"
DEAL_TYPES = {"New Business": DealType.NEW, "Existing Business - Upgrade": DealType.UPGRADE,
              "Renewal": DealType.RENEWAL}
"""Opportunity ``Type`` -> what the deal does (any other type is new business)."""
STATUS_PICKLIST = {BillingStatus.PENDING: Picklist.PENDING, BillingStatus.ACTIVE: Picklist.ACTIVE,
                   BillingStatus.PAST_DUE: Picklist.PAST_DUE,
                   BillingStatus.CANCELED: Picklist.CANCELED}
"""The canonical billing status -> the ``Billing_Status__c`` picklist value."""
LINKS = LinkFields(status="Billing_Status__c",
                   status_values={status: value.value
                                  for status, value in STATUS_PICKLIST.items()},
                   accord_id="Accord_Id__c", billing_customer_id="Stripe_Customer_Id__c",
                   erp_customer_id="NetSuite_Customer_Id__c",
                   billing_subscription_id="Stripe_Subscription_Id__c")
"""The account and opportunity fields accord writes back."""
FIELDS = {"tax_id": "VAT_Number__c", "billing_contact": "Billing_Email__c",
          "currency": "CurrencyIsoCode", "legal_entity": "Legal_Entity__c",
          "deal_type": "Type", "lines": "OpportunityLineItem"}
"""Where each canonical fact of a deal comes from, for the errors that name a field."""


def _id(value: str, what: str) -> str:
    if not value.isalnum():
        raise PermanentError(f"{what} id {value!r} is malformed", system=SYSTEM)
    return value


class SalesforceCrm:
    """:class:`accord.ports.CrmPort` over one org."""

    def __init__(self, client: SalesforceClient, *, system: str = SYSTEM) -> None:
        self.client = client
        self.system = system
        self.default_legal_entity = client.settings.legal_entity

    # -- deals --------------------------------------------------------------------------------
    def read_deal(self, deal_id: str) -> Deal:
        opportunity_id = _id(deal_id, "opportunity")
        read = [f for f in OPPORTUNITY_FIELDS if not f.startswith("Account.")] + ["Type"]
        # the id was checked to be alphanumeric, so it cannot break out of the literal
        rows = list(self.client.query(f"SELECT {', '.join(read)} FROM Opportunity "  # noqa: S608
                                      f"WHERE Id = '{opportunity_id}'"))
        if not rows:
            raise PermanentError(f"opportunity {opportunity_id} not found", system=SYSTEM)
        opportunity = strip_attributes(rows[0])
        account_id = str(opportunity.get("AccountId") or "")
        if not account_id.isalnum():
            raise DataQualityError("AccountId", "the deal has no account",
                                   owner=Team.REVENUE_OPERATIONS, system=SYSTEM)
        account = strip_attributes(next(iter(self.client.query(
            f"SELECT {', '.join(ACCOUNT_FIELDS)} FROM Account "  # noqa: S608
            f"WHERE Id = '{account_id}'"))))
        lines = [strip_attributes(line) for line in self.client.query(
            f"SELECT {', '.join(LINE_FIELDS)} FROM OpportunityLineItem "  # noqa: S608
            f"WHERE OpportunityId = '{opportunity_id}' ORDER BY Id")]
        legal_entity = (opportunity.get("Legal_Entity__c") or account.get("Legal_Entity__c")
                        or self.default_legal_entity)
        if not account.get("Billing_Email__c"):
            raise DataQualityError("Billing_Email__c", "the account has no billing contact",
                                   owner=Team.MASTER_DATA, system=SYSTEM)
        customer = account_to_customer(account, default_legal_entity=legal_entity)
        return WonDeal(
            system=self.system, deal_id=opportunity_id, account_id=account_id,
            deal_type=DEAL_TYPES.get(str(opportunity.get("Type") or ""), DealType.NEW),
            customer=customer, customer_written=bool(account.get("Accord_Id__c")),
            contract=lambda customer_id: opportunity_to_contract(
                opportunity, lines, customer_id=customer_id,
                default_legal_entity=legal_entity),
            fields=FIELDS,
            line_sku_field=lambda index: f"OpportunityLineItem.{index}.ProductCode",
            line_count=len(lines),
            written_subscription=opportunity.get("Stripe_Subscription_Id__c"),
            written_contract=opportunity.get("Accord_Id__c")).deal()

    # -- accounts -----------------------------------------------------------------------------
    def read_account(self, account_id: str, *, legal_entity: str) -> AccountRead:
        checked = _id(account_id, "account")
        rows = list(self.client.query(
            f"SELECT {', '.join(ACCOUNT_CHANGE_FIELDS)} FROM Account "  # noqa: S608
            f"WHERE Id = '{checked}'"))
        if not rows:
            raise PermanentError(f"account {checked} not found", system=SYSTEM)
        record = strip_attributes(rows[0])
        return AccountRead(customer=account_to_customer(record,
                                                        default_legal_entity=legal_entity),
                           record=record)

    # -- write-back ---------------------------------------------------------------------------
    def write_back_account(self, links: CustomerLinks) -> dict[str, Any]:
        fields = LINKS.account(links)
        self.client.update("Account", _id(links.account_id, "account"), fields)
        return fields

    def write_back_deal(self, links: DealLinks) -> dict[str, Any]:
        fields = LINKS.deal(links)
        self.client.update("Opportunity", _id(links.deal_id, "opportunity"), fields)
        return fields

    # -- the catalog --------------------------------------------------------------------------
    def publish_product(self, product: Product, prices: Sequence[Price]) -> dict[str, str]:
        book = str(next(self.client.query(
            "SELECT Id FROM Pricebook2 WHERE IsStandard = true"))["Id"])
        product2 = self.client.save_by_external_id("Product2", "Accord_Id__c", product.id,
                                                   product_to_product2(product)).id
        published = {product.id: product2}
        for price in prices:
            fields = price_to_entry(price, product2_id=product2, pricebook2_id=book)
            published[price.id] = self.client.save_by_external_id(
                "PricebookEntry", "Accord_Id__c", price.id, fields).id
        return published

    def billing_view(self, *, account_id: str | None, contract_id: str | None
                     ) -> CrmBillingView:
        account = (self.client.get("Account", account_id, fields=["Billing_Status__c"])
                   if account_id is not None else {})
        contract = (self.client.get("Contract", contract_id, fields=["Subscription_Status__c"])
                    if contract_id is not None else {})
        return CrmBillingView(account_billing_status=account.get("Billing_Status__c"),
                              subscription_status=contract.get("Subscription_Status__c"))

    def close(self) -> None:
        self.client.session.close()


__all__ = ["DEAL_TYPES", "FIELDS", "STATUS_PICKLIST", "SalesforceCrm"]
