"""Write-back: external ids and statuses onto the account, opportunity and contract.

Single updates go through the sObject resource; many at once go through sObject Collections
(200 per call) with per-record results, so one bad record does not fail the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from accord.canonical import SubscriptionStatus
from accord.connectors.salesforce.client import RecordResult, SalesforceClient
from accord.connectors.salesforce.mapping import BillingStatus, subscription_status_fields


@dataclass(frozen=True)
class AccountLinks:
    account_id: str
    status: BillingStatus
    accord_id: str | None = None
    stripe_customer_id: str | None = None
    netsuite_customer_id: str | None = None

    def fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {"Billing_Status__c": self.status.value}
        for name, value in (("Accord_Id__c", self.accord_id),
                            ("Stripe_Customer_Id__c", self.stripe_customer_id),
                            ("NetSuite_Customer_Id__c", self.netsuite_customer_id)):
            if value:
                fields[name] = value
        return fields


@dataclass(frozen=True)
class OpportunityLinks:
    opportunity_id: str
    status: BillingStatus
    accord_id: str | None = None
    stripe_subscription_id: str | None = None
    netsuite_sales_order_id: str | None = None
    contract_id: str | None = None

    def fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {"Billing_Status__c": self.status.value}
        for name, value in (("Accord_Id__c", self.accord_id),
                            ("Stripe_Subscription_Id__c", self.stripe_subscription_id),
                            ("NetSuite_Sales_Order_Id__c", self.netsuite_sales_order_id),
                            ("ContractId", self.contract_id)):
            if value:
                fields[name] = value
        return fields


class WriteBack:
    def __init__(self, client: SalesforceClient) -> None:
        self.client = client

    def account(self, links: AccountLinks) -> None:
        self.client.update("Account", links.account_id, links.fields())

    def opportunity(self, links: OpportunityLinks) -> None:
        self.client.update("Opportunity", links.opportunity_id, links.fields())

    def contract_status(self, contract_id: str, status: SubscriptionStatus, *,
                        stripe_subscription_id: str | None = None) -> None:
        fields: dict[str, Any] = dict(subscription_status_fields(status))
        if stripe_subscription_id:
            fields["Stripe_Subscription_Id__c"] = stripe_subscription_id
        self.client.update("Contract", contract_id, fields)

    def accounts(self, links: Sequence[AccountLinks]) -> list[RecordResult]:
        return self._many("Account", [{"Id": link.account_id, **link.fields()}
                                      for link in links])

    def opportunities(self, links: Sequence[OpportunityLinks]) -> list[RecordResult]:
        return self._many("Opportunity", [{"Id": link.opportunity_id, **link.fields()}
                                          for link in links])

    def _many(self, type_name: str, records: Sequence[Mapping[str, Any]]
              ) -> list[RecordResult]:
        return self.client.update_many(type_name, records, all_or_none=False)


__all__ = ["AccountLinks", "OpportunityLinks", "WriteBack"]
