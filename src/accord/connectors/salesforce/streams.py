"""The Salesforce changes accord polls, by ``SystemModstamp`` from a durable cursor.

* ``opportunity``: deals and their stage; a won deal comes typed ``opportunity.closed_won``.
* ``account``: the account as accord reads it, plus the fields accord writes back, so its
  own write-backs are recognised as echoes.
"""

from __future__ import annotations

from accord.connectors.base import PollSpec
from accord.connectors.salesforce.client import SalesforceClient
from accord.connectors.salesforce.intake import ModstampPoller

OPPORTUNITY_CHANGE_FIELDS = ("StageName", "IsWon", "AccountId", "Name")
ACCOUNT_FIELDS = ("Id", "Name", "Type", "BillingStreet", "BillingCity", "BillingState",
                  "BillingPostalCode", "BillingCountry", "Website", "CurrencyIsoCode",
                  "Accord_Id__c", "Stripe_Customer_Id__c", "NetSuite_Customer_Id__c",
                  "Legal_Entity__c", "VAT_Number__c", "Billing_Email__c")
ACCOUNT_CHANGE_FIELDS = (*ACCOUNT_FIELDS, "Billing_Status__c")


def opportunity_poller(client: SalesforceClient) -> ModstampPoller:
    """Opportunity changes; a won one is typed ``opportunity.closed_won``."""
    return ModstampPoller(client, "Opportunity", OPPORTUNITY_CHANGE_FIELDS)


def account_poller(client: SalesforceClient) -> ModstampPoller:
    """Account changes, each typed ``account.changed``."""
    return ModstampPoller(client, "Account", ACCOUNT_CHANGE_FIELDS)


POLLS = (
    PollSpec("opportunity", 30, lambda crm: opportunity_poller(crm.client),
             "deals won and changed"),
    PollSpec("account", 60, lambda crm: account_poller(crm.client),
             "account changes (names, addresses, tax ids)"),
)

__all__ = ["ACCOUNT_CHANGE_FIELDS", "ACCOUNT_FIELDS", "OPPORTUNITY_CHANGE_FIELDS", "POLLS",
           "account_poller", "opportunity_poller"]
