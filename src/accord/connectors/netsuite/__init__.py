"""The NetSuite connector: SuiteTalk REST with token-based authentication, SuiteQL intake."""

from __future__ import annotations

from accord.connectors.base import ConnectorDefinition, ConnectorKind
from accord.connectors.netsuite.probe import probe
from accord.connectors.netsuite.settings import STANDARD_CONCURRENCY, NetSuiteSettings
from accord.connectors.netsuite.setup import verify_setup
from accord.connectors.netsuite.streams import POLLS
from accord.resilience.limits import LimitsProfile

LIMITS = LimitsProfile(
    max_concurrency=STANDARD_CONCURRENCY,
    page_size=1000,
    notes="Account-wide concurrency governance (5 for a standard account, +10 per SuiteCloud "
          "Plus license); 429 beyond it. Record lists and SuiteQL pages hold 1,000 rows.",
)

CONNECTOR = ConnectorDefinition(
    name="netsuite",
    kind=ConnectorKind.ERP,
    description="Oracle NetSuite (SuiteTalk REST web services, SuiteQL, OAuth 1.0a TBA)",
    limits=LIMITS,
    settings_model=NetSuiteSettings,
    probe=probe,
    sandbox="netsuite",
    polls=POLLS,
    verify_setup=verify_setup,
)

__all__ = ["CONNECTOR", "LIMITS", "NetSuiteSettings"]
