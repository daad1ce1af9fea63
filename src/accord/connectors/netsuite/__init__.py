"""The NetSuite connector: SuiteTalk REST with token-based authentication, SuiteQL intake."""

from __future__ import annotations

import time

from accord.canonical.roles import Role
from accord.connectors.base import AdapterOptions, ConnectorDefinition, ReaderOptions
from accord.connectors.netsuite.client import NetSuiteClient
from accord.connectors.netsuite.erp import NetSuiteErp
from accord.connectors.netsuite.events import EVENTS, describe_event
from accord.connectors.netsuite.posting import NetSuitePoster
from accord.connectors.netsuite.probe import probe
from accord.connectors.netsuite.reconciliation import NetSuiteReader
from accord.connectors.netsuite.refdata import load_refdata
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

def adapter(name: str, settings: NetSuiteSettings, options: AdapterOptions) -> NetSuiteErp:
    client = NetSuiteClient(settings, policy=options.policy, retry=options.retries,
                            sleep=options.sleep or time.sleep)
    return NetSuiteErp(NetSuitePoster(client, load_refdata(settings.refdata_path)), system=name)


def reader(erp: NetSuiteErp, options: ReaderOptions) -> NetSuiteReader:
    return NetSuiteReader(erp.client, erp.ref, keys=options.keys, period=options.period,
                          upstream=options.upstream)


CONNECTOR = ConnectorDefinition(
    name="netsuite",
    kind=Role.ERP,
    description="Oracle NetSuite (SuiteTalk REST web services, SuiteQL, OAuth 1.0a TBA)",
    limits=LIMITS,
    settings_model=NetSuiteSettings,
    probe=probe,
    sandbox="netsuite",
    polls=POLLS,
    verify_setup=verify_setup,
    adapter=adapter,
    reconciliation_reader=reader,
    events=EVENTS,
    describe_event=describe_event,
)

__all__ = ["CONNECTOR", "LIMITS", "NetSuiteSettings"]
