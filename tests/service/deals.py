"""What a company's own programs do around a running accord: close a deal in Salesforce
(``simple-salesforce``, with the fields ``docs/flows.md`` documents for a deal), look at
Stripe (``stripe``) and at NetSuite (SuiteQL over REST, signed with OAuth 1.0a TBA as
NetSuite's clients sign). Nothing here imports accord's connectors."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import requests
from simple_salesforce.api import Salesforce
from tests.flows.vendors import invoice_id_for, payment_id_for
from tests.netsuite.signing import oauthlib_auth

import stripe
from accord.connectors.salesforce.client import build_session
from accord.demo.environment import Environment

T = TypeVar("T")


def eventually(probe: Callable[[], T | None], *, timeout: float, what: str,
               interval: float = 0.5) -> T:
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not seen within {timeout:.0f} s")
        time.sleep(interval)


def salesforce(creds: dict[str, str]) -> Salesforce:
    # trusts the sandbox's CA even where REQUESTS_CA_BUNDLE names another bundle
    session = build_session(Path(creds["ca_cert"]))
    return Salesforce(instance_url=creds["instance_url"], session_id=creds["session_id"],
                      version=creds["api_version"], session=session, parse_float=Decimal)


def stripe_client(creds: dict[str, str]) -> stripe.StripeClient:
    return stripe.StripeClient(creds["api_key"], base_addresses={"api": creds["base_url"]},
                               max_network_retries=5)


def close_deal(sf: Salesforce, *, name: str, sku: str = "BW-PLAT-SEAT",
               quantity: int = 5) -> str:
    """A new US account and a deal for ``quantity`` of ``sku``, won; the opportunity id."""
    account = sf.Account.create({
        "Name": f"{name} Inc.", "Type": "Customer - Direct", "BillingStreet": "1 Main Street",
        "BillingCity": "Austin", "BillingCountry": "US", "Website": f"https://{name}.example",
        "CurrencyIsoCode": "USD", "Legal_Entity__c": "US01",
        "Billing_Email__c": f"billing@{name}.example"})["id"]
    today = datetime.now(UTC).date().isoformat()
    opportunity = sf.Opportunity.create({
        "Name": f"{name} - platform", "AccountId": account, "StageName": "Negotiation/Review",
        "CloseDate": today, "CurrencyIsoCode": "USD", "Contract_Term_Months__c": 12,
        "Contract_Start_Date__c": today, "Legal_Entity__c": "US01",
        "Type": "New Business"})["id"]
    entry = sf.query("SELECT Id, UnitPrice FROM PricebookEntry WHERE ProductCode = "
                     f"'{sku}' AND CurrencyIsoCode = 'USD'")["records"][0]
    sf.OpportunityLineItem.create({"OpportunityId": opportunity, "PricebookEntryId": entry["Id"],
                                   "Quantity": quantity, "UnitPrice": str(entry["UnitPrice"])})
    sf.Opportunity.update(opportunity, {"StageName": "Closed Won"})
    return str(opportunity)


def price_book_ready(sf: Salesforce, sku: str = "BW-PLAT-SEAT") -> bool:
    """The product sync has published ``sku`` to Salesforce's standard price book."""
    found = sf.query("SELECT Id FROM PricebookEntry WHERE ProductCode = "
                     f"'{sku}' AND CurrencyIsoCode = 'USD'")
    return bool(found["records"])


def subscription_of(sf: Salesforce, billing: stripe.StripeClient, opportunity: str
                    ) -> Any | None:
    """The deal's Stripe subscription, once accord wrote its id back on the deal."""
    written = sf.Opportunity.get(opportunity).get("Stripe_Subscription_Id__c")
    return billing.v1.subscriptions.retrieve(written) if written else None


def finalized_first_invoice(billing: stripe.StripeClient, subscription: Any) -> Any:
    """The subscription's first invoice, finalized (in Stripe's dashboard or API)."""
    invoice = billing.v1.invoices.list(params={"subscription": subscription.id}).data[-1]
    if invoice.status == "draft":
        invoice = billing.v1.invoices.finalize_invoice(invoice.id)
    return invoice


def netsuite_invoice(creds: dict[str, str], stripe_invoice: str) -> dict[str, Any] | None:
    """NetSuite's invoice for a Stripe invoice (its external id is accord's canonical id)."""
    return _netsuite_transaction(creds, "CustInvc", invoice_id_for(stripe_invoice),
                                 "id, tranid, externalid, foreigntotal")


def netsuite_payment(creds: dict[str, str], stripe_charge: str) -> dict[str, Any] | None:
    """NetSuite's customer payment for a Stripe charge (external id: accord's canonical id)."""
    return _netsuite_transaction(creds, "CustPymt", payment_id_for(stripe_charge),
                                 "id, externalid")


def publish_catalog(env: Environment) -> None:
    """An admin runs the product sync now rather than waiting for its hourly firing."""
    with env.api() as api:
        api.post("/v1/schedules/products.sync/run").raise_for_status()
    sf = salesforce(env.credentials["salesforce"])
    eventually(lambda: price_book_ready(sf), timeout=120, what="the catalog in Salesforce")


def _netsuite_transaction(creds: dict[str, str], kind: str, external_id: str, columns: str
                          ) -> dict[str, Any] | None:
    query = (f"SELECT {columns} FROM transaction WHERE type = '{kind}' AND externalid = "
             f"'{external_id}'")
    answer = requests.post(f"{creds['base_url']}/services/rest/query/v1/suiteql",
                           json={"q": query}, headers={"Prefer": "transient"},
                           auth=oauthlib_auth(creds), timeout=30)
    answer.raise_for_status()
    items: list[dict[str, Any]] = answer.json()["items"]
    return items[0] if items else None
