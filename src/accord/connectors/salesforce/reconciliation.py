"""Salesforce: customers and subscriptions through SOQL, following ``nextRecordsUrl`` page by
page.

Customers are the accounts that won a deal (a prospect is not expected in billing), read
from the won opportunities in account order, one record per account keyed by
``Accord_Id__c`` (or xref), its won deals as related references. Subscriptions are the
contracts linked to a Stripe subscription (``Stripe_Subscription_Id__c``, status the
``Subscription_Status__c`` picklist label, read as accord's status) and the won deals
carrying the subscription id accord wrote back without a contract (one record per
subscription, however many deals amend it; a deal keeps no subscription status, so none is
compared). Salesforce holds no financial documents, so it contributes no totals.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import groupby
from typing import Any

from accord.canonical.ids import EntityType
from accord.canonical.reconciliation import Contribution, Entity, RecordView
from accord.canonical.record_keys import KeyResolver, NoKeys, keyed
from accord.canonical.subscription import SubscriptionStatus
from accord.connectors.salesforce.client import SalesforceClient
from accord.connectors.salesforce.mapping import subscription_status_fields

SYSTEM = "salesforce"


def status_labels() -> dict[str, str]:
    """Canonical subscription status -> the Salesforce picklist label accord writes."""
    return {status.value: subscription_status_fields(status)["Subscription_Status__c"]
            for status in SubscriptionStatus}


def status_of(label: str | None) -> str | None:
    """The canonical status a picklist label stands for (a label accord never writes is
    kept as it is, so it shows as different)."""
    if not label:
        return None
    return {written: status for status, written in status_labels().items()}.get(label, label)


class SalesforceReader:
    system = SYSTEM

    def __init__(self, client: SalesforceClient, *, keys: KeyResolver | None = None) -> None:
        self.client = client
        self.keys = keys or NoKeys()

    def records(self, entity: Entity) -> Iterator[RecordView]:
        if entity is Entity.CUSTOMER:
            for key, row in keyed(self.won_accounts(), self.keys, system=SYSTEM,
                                  entity=EntityType.CUSTOMER, system_id=lambda r: str(r["Id"]),
                                  carried=_accord_id):
                currency = row.get("CurrencyIsoCode")
                yield RecordView(key, str(row["Id"]), currency=str(currency) if currency
                                 else None, refs=tuple(row["deals"]))
        elif entity is Entity.SUBSCRIPTION:
            for row in self.client.query(
                    "SELECT Id, Stripe_Subscription_Id__c, Subscription_Status__c FROM Contract "
                    "WHERE Stripe_Subscription_Id__c != null ORDER BY Id"):
                yield RecordView(str(row["Stripe_Subscription_Id__c"]), str(row["Id"]),
                                 status=status_of(row.get("Subscription_Status__c")))
            deals = self.client.query(
                "SELECT Id, Stripe_Subscription_Id__c FROM Opportunity "
                "WHERE Stripe_Subscription_Id__c != null AND ContractId = null "
                "ORDER BY Stripe_Subscription_Id__c, Id")
            for subscription, rows in groupby(deals, key=lambda r: str(
                    r["Stripe_Subscription_Id__c"])):
                ids = [str(row["Id"]) for row in rows]
                yield RecordView(subscription, ids[0], refs=tuple(ids[1:]))

    def won_accounts(self) -> Iterator[dict[str, Any]]:
        """Each account with a won deal, once, with its won deals' ids under ``deals``."""
        deals = self.client.query(
            "SELECT Id, AccountId, Account.Accord_Id__c, Account.CurrencyIsoCode "
            "FROM Opportunity WHERE IsWon = true ORDER BY AccountId, Id")
        for account_id, rows in groupby(deals, key=lambda r: str(r["AccountId"])):
            won: Iterable[dict[str, Any]] = list(rows)
            account = dict(next(iter(won)).get("Account") or {})
            yield {"Id": account_id, "Accord_Id__c": account.get("Accord_Id__c"),
                   "CurrencyIsoCode": account.get("CurrencyIsoCode"),
                   "deals": [str(row["Id"]) for row in won]}

    def contributions(self) -> Iterator[Contribution]:
        return iter(())


def _accord_id(row: dict[str, Any]) -> str | None:
    value = row.get("Accord_Id__c")
    return str(value) if value else None


__all__ = ["SalesforceReader", "status_labels", "status_of"]
