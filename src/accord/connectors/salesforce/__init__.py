"""The Salesforce connector (CRM): accounts, opportunities and line items, products and price
books, contracts. See ``docs/connectors/salesforce.md``."""

from accord.connectors.base import ConnectorDefinition, ConnectorKind
from accord.connectors.salesforce.probe import probe
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

CONNECTOR = ConnectorDefinition(
    name="salesforce",
    kind=ConnectorKind.CRM,
    description="Salesforce CRM over the REST API (simple-salesforce)",
    limits=LIMITS,
    settings_model=SalesforceSettings,
    probe=probe,
    sandbox="salesforce",
    polls=POLLS,
    verify_setup=verify_setup,
)

__all__ = ["CONNECTOR", "LIMITS"]
