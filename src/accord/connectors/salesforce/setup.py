"""What accord needs in a Salesforce org beyond a session: the custom fields it reads and
writes back, checked against the org's describe (``accord doctor``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from accord.connectors.base import ProbeResult, ProbeStatus, SetupCheck
from accord.connectors.salesforce.client import SalesforceClient
from accord.connectors.salesforce.settings import SalesforceSettings
from accord.errors import AccordError

REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "Account": ("Legal_Entity__c", "VAT_Number__c", "Billing_Email__c", "Accord_Id__c",
                "Stripe_Customer_Id__c", "NetSuite_Customer_Id__c", "Billing_Status__c"),
    "Opportunity": ("Legal_Entity__c", "Contract_Term_Months__c", "Contract_Start_Date__c",
                    "Accord_Id__c", "Stripe_Subscription_Id__c", "Billing_Status__c"),
    "Product2": ("Billing_Type__c", "Revenue_Category__c", "Accord_Id__c"),
    "PricebookEntry": ("Accord_Id__c",),
}
"""The custom fields accord's mapping reads (deal terms, legal entity, tax id) and writes
back (its ids in billing and the ERP, billing status), by object."""


def verify_setup(settings: Any, _event_types: Sequence[str]) -> list[SetupCheck]:
    if not isinstance(settings, SalesforceSettings):
        settings = SalesforceSettings()
    client = SalesforceClient(settings, retries=False)
    checks: list[SetupCheck] = []
    try:
        for sobject, wanted in REQUIRED_FIELDS.items():
            try:
                names = {str(f["name"]) for f in client.describe(sobject).get("fields", [])}
            except AccordError as exc:
                checks.append(SetupCheck(f"{sobject} fields", ProbeResult(
                    ProbeStatus.FAILED, f"cannot describe {sobject}: {exc.message}",
                    "give the integration user read access to the object")))
                continue
            missing = [name for name in wanted if name not in names]
            checks.append(SetupCheck(f"{sobject} fields", ProbeResult(
                ProbeStatus.FAILED, f"missing: {', '.join(missing)}",
                "create them (Setup > Object Manager > " + sobject + " > Fields & "
                "Relationships); docs/connectors/salesforce.md lists their types")
                if missing else ProbeResult(ProbeStatus.OK, f"{len(wanted)} custom fields "
                                            "present")))
    finally:
        client.session.close()
    return checks


__all__ = ["REQUIRED_FIELDS", "verify_setup"]
