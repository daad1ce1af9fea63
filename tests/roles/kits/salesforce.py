"""Salesforce's kit for the role conformance suite: its sandbox, and closing a deal or
reading fields with ``simple-salesforce``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from simple_salesforce.api import Salesforce

from accord.canonical.money import Money
from accord.connectors.salesforce import CONNECTOR
from tests.roles.kit import SandboxKit
from tests.service.deals import salesforce

RECORDS = {"account": "Account", "deal": "Opportunity"}


@dataclass
class SalesforceKit:
    sandbox: SandboxKit
    client: Salesforce

    @property
    def settings(self) -> dict[str, object]:
        return dict(self.sandbox.settings)

    def won_deal(self, *, sku: str, quantity: int, unit_price: Money, legal_entity: str,
                 name: str, billing_email: str | None = "billing@example.com") -> str:
        sf = self.client
        account: dict[str, Any] = {
            "Name": f"{name} Inc.", "BillingStreet": "1 Main Street", "BillingCity": "Austin",
            "BillingCountry": "US", "Website": f"https://{name}.example",
            "CurrencyIsoCode": unit_price.currency, "Legal_Entity__c": legal_entity}
        if billing_email:
            account["Billing_Email__c"] = billing_email
        account_id = sf.Account.create(account)["id"]
        today = datetime.now(UTC).date().isoformat()
        deal = sf.Opportunity.create({
            "Name": f"{name} - platform", "AccountId": account_id, "CloseDate": today,
            "StageName": "Negotiation/Review", "CurrencyIsoCode": unit_price.currency,
            "Contract_Term_Months__c": 12, "Contract_Start_Date__c": today,
            "Legal_Entity__c": legal_entity, "Type": "New Business"})["id"]
        entry = sf.query("SELECT Id FROM PricebookEntry WHERE ProductCode = "
                         f"'{sku}' AND CurrencyIsoCode = '{unit_price.currency}'")["records"][0]
        sf.OpportunityLineItem.create({"OpportunityId": deal, "PricebookEntryId": entry["Id"],
                                       "Quantity": quantity,
                                       "UnitPrice": str(unit_price.amount)})
        sf.Opportunity.update(deal, {"StageName": "Closed Won"})
        return str(deal)

    def fields(self, record: str, record_id: str, names: list[str]) -> dict[str, Any]:
        found = getattr(self.client, RECORDS[record]).get(record_id)
        return {name: found.get(name) for name in names}

    def stop(self) -> None:
        self.client.session.close()
        self.sandbox.running.server.force_exit = True
        self.sandbox.stop()


def start(directory: Path) -> SalesforceKit:
    sandbox = SandboxKit.start(CONNECTOR, directory)
    return SalesforceKit(sandbox, salesforce(sandbox.credentials))
