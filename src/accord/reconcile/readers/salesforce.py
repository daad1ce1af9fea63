"""Salesforce: accounts and contracts through SOQL, following ``nextRecordsUrl`` page by page.

Accounts are keyed by ``Accord_Id__c`` (or xref); contracts by the Stripe subscription they
were linked to (``Stripe_Subscription_Id__c``), their status the ``Subscription_Status__c``
picklist label. Salesforce holds no financial documents, so it contributes no totals.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from accord.canonical.ids import EntityType
from accord.canonical.subscription import SubscriptionStatus
from accord.connectors.salesforce.client import SalesforceClient
from accord.connectors.salesforce.mapping import subscription_status_fields
from accord.reconcile.keys import KeyResolver, NoKeys, keyed
from accord.reconcile.matcher import RecordView
from accord.reconcile.readers.base import Entity
from accord.reconcile.totals import Contribution

SYSTEM = "salesforce"


def status_labels() -> dict[str, str]:
    """Stripe subscription status -> the Salesforce picklist label accord writes."""
    return {status.value: subscription_status_fields(status)["Subscription_Status__c"]
            for status in SubscriptionStatus}


class SalesforceReader:
    system = SYSTEM

    def __init__(self, client: SalesforceClient, *, keys: KeyResolver | None = None) -> None:
        self.client = client
        self.keys = keys or NoKeys()

    def records(self, entity: Entity) -> Iterator[RecordView]:
        if entity is Entity.CUSTOMER:
            accounts = self.client.query("SELECT Id, Accord_Id__c, CurrencyIsoCode FROM Account "
                                         "ORDER BY Id")
            for key, row in keyed(accounts, self.keys, system=SYSTEM,
                                  entity=EntityType.CUSTOMER, system_id=lambda r: str(r["Id"]),
                                  carried=_accord_id):
                currency = row.get("CurrencyIsoCode")
                yield RecordView(key, str(row["Id"]), currency=str(currency) if currency
                                 else None)
        elif entity is Entity.SUBSCRIPTION:
            for row in self.client.query(
                    "SELECT Id, Stripe_Subscription_Id__c, Subscription_Status__c FROM Contract "
                    "WHERE Stripe_Subscription_Id__c != null ORDER BY Id"):
                status = row.get("Subscription_Status__c")
                yield RecordView(str(row["Stripe_Subscription_Id__c"]), str(row["Id"]),
                                 status=str(status) if status else None)

    def contributions(self) -> Iterator[Contribution]:
        return iter(())


def _accord_id(row: dict[str, Any]) -> str | None:
    value = row.get("Accord_Id__c")
    return str(value) if value else None


__all__ = ["SalesforceReader", "status_labels"]
