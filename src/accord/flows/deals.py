"""Reading a closed-won deal from Salesforce and turning it into validated canonical documents.

Pure functions apart from :func:`fetch_deal`: validation raises :class:`DataQualityError`
naming the Salesforce field and the owning team, so the exception queue says what to fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accord.canonical.contract import Contract
from accord.canonical.ids import EntityType
from accord.canonical.party import Customer
from accord.connectors.salesforce.client import SalesforceClient
from accord.connectors.salesforce.intake import LINE_FIELDS, OPPORTUNITY_FIELDS
from accord.connectors.salesforce.mapping import (
    account_to_customer,
    opportunity_to_contract,
    strip_attributes,
)
from accord.connectors.salesforce.streams import ACCOUNT_FIELDS
from accord.errors import DataQualityError, PermanentError, Team
from accord.flows.entities import LegalEntities, LegalEntity
from accord.flows.ids import derived_id
from accord.flows.skus import SkuMapping


def fetch_deal(client: SalesforceClient, opportunity_id: str) -> dict[str, Any]:
    """The opportunity, its account and its line items, as plain records."""
    if not opportunity_id.isalnum():
        raise PermanentError(f"opportunity id {opportunity_id!r} is malformed",
                             system="salesforce")
    fields = [f for f in OPPORTUNITY_FIELDS if not f.startswith("Account.")] + ["Type"]
    # the id was checked to be alphanumeric, so it cannot break out of the literal
    rows = list(client.query(f"SELECT {', '.join(fields)} FROM Opportunity "  # noqa: S608
                             f"WHERE Id = '{opportunity_id}'"))
    if not rows:
        raise PermanentError(f"opportunity {opportunity_id} not found", system="salesforce")
    opportunity = strip_attributes(rows[0])
    account_id = str(opportunity.get("AccountId") or "")
    if not account_id.isalnum():
        raise DataQualityError("AccountId", "the deal has no account",
                               owner=Team.REVENUE_OPERATIONS, system="salesforce")
    account = strip_attributes(next(iter(client.query(
        f"SELECT {', '.join(ACCOUNT_FIELDS)} FROM Account "  # noqa: S608
        f"WHERE Id = '{account_id}'"))))
    lines = [strip_attributes(line) for line in client.query(
        f"SELECT {', '.join(LINE_FIELDS)} FROM OpportunityLineItem "  # noqa: S608
        f"WHERE OpportunityId = '{opportunity_id}' ORDER BY Id")]
    return {"opportunity": opportunity, "account": account, "lines": lines}


@dataclass(frozen=True)
class Order:
    """A validated, enriched deal: who buys what, from which legal entity."""

    customer: Customer
    contract: Contract
    entity: LegalEntity
    account_id: str
    opportunity_id: str


def customer_id_for(account_id: str) -> str:
    return derived_id(EntityType.CUSTOMER, "salesforce", account_id)


def contract_id_for(opportunity_id: str) -> str:
    return derived_id(EntityType.CONTRACT, "salesforce", opportunity_id)


def subscription_id_for(opportunity_id: str) -> str:
    return derived_id(EntityType.SUBSCRIPTION, "salesforce", opportunity_id)


def validate(deal: dict[str, Any], *, skus: SkuMapping, entities: LegalEntities,
             default_legal_entity: str) -> Order:
    """Mandatory fields, product mapping and legal entity; then enrich (tax profile,
    subsidiary, currency). The first problem found raises."""
    account = deal["account"]
    opportunity = deal["opportunity"]
    legal_entity = (opportunity.get("Legal_Entity__c") or account.get("Legal_Entity__c")
                    or default_legal_entity)
    entity = entities.get(legal_entity)
    if not account.get("Billing_Email__c"):
        raise DataQualityError("Billing_Email__c", "the account has no billing contact",
                               owner=Team.MASTER_DATA, system="salesforce")
    if entity.tax_id_required and not account.get("VAT_Number__c"):
        raise DataQualityError("VAT_Number__c", f"a tax registration is mandatory for "
                               f"customers of {legal_entity}", owner=Team.MASTER_DATA,
                               system="salesforce")
    for index, line in enumerate(deal["lines"]):
        skus.entry(line.get("ProductCode"), f"OpportunityLineItem.{index}.ProductCode")
    customer = account_to_customer(account, default_legal_entity=legal_entity)
    customer_id = customer_id_for(str(account["Id"]))
    if not account.get("Accord_Id__c"):
        customer = customer.model_copy(update={"id": customer_id})
    contract = opportunity_to_contract(opportunity, deal["lines"], customer_id=customer.id,
                                       default_legal_entity=legal_entity)
    contract = contract.model_copy(update={"id": contract_id_for(str(opportunity["Id"]))})
    if contract.currency != entity.currency or customer.currency != entity.currency:
        raise DataQualityError("CurrencyIsoCode", f"{legal_entity} sells in "
                               f"{entity.currency}, the deal is in {contract.currency}",
                               owner=Team.REVENUE_OPERATIONS, system="salesforce")
    return Order(customer=customer, contract=contract, entity=entity,
                 account_id=str(account["Id"]), opportunity_id=str(opportunity["Id"]))


__all__ = ["ACCOUNT_FIELDS", "Order", "contract_id_for", "customer_id_for", "fetch_deal",
           "subscription_id_for", "validate"]
