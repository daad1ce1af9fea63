"""The Salesforce connector (CRM): accounts, opportunities and line items, products and price
books, contracts. See ``docs/connectors/salesforce.md``."""

import time

from accord.canonical.roles import Role
from accord.connectors.base import AdapterOptions, ConnectorDefinition, ReaderOptions
from accord.connectors.salesforce.client import SalesforceClient
from accord.connectors.salesforce.crm import SalesforceCrm
from accord.connectors.salesforce.events import EVENTS, describe_event
from accord.connectors.salesforce.probe import probe
from accord.connectors.salesforce.reconciliation import SalesforceReader
from accord.connectors.salesforce.settings import SalesforceSettings
from accord.connectors.salesforce.setup import verify_setup
from accord.connectors.salesforce.streams import POLLS
from accord.resilience import LimitsProfile

LIMITS = LimitsProfile(
    max_concurrency=25,
    daily_requests=100_000,
    page_size=2_000,
    notes="Concurrent long-running requests (over 20 s) per org: 25 in production orgs. "
          "Daily API requests: 100,000 base for Enterprise Edition plus per-licence additions, "
          "over a rolling 24 hours. Query batches default to 2,000 records; sObject "
          "Collections take 200 records per call.",
)

def adapter(name: str, settings: SalesforceSettings, options: AdapterOptions) -> SalesforceCrm:
    return SalesforceCrm(SalesforceClient(settings, policy=options.policy,
                                          sleep=options.sleep or time.sleep,
                                          retries=options.retries), system=name)


def reader(crm: SalesforceCrm, options: ReaderOptions) -> SalesforceReader:
    return SalesforceReader(crm.client, keys=options.keys)


CONNECTOR = ConnectorDefinition(
    name="salesforce",
    kind=Role.CRM,
    description="Salesforce CRM over the REST API (simple-salesforce)",
    limits=LIMITS,
    settings_model=SalesforceSettings,
    probe=probe,
    sandbox="salesforce",
    polls=POLLS,
    verify_setup=verify_setup,
    adapter=adapter,
    reconciliation_reader=reader,
    events=EVENTS,
    describe_event=describe_event,
)

__all__ = ["CONNECTOR", "LIMITS"]
