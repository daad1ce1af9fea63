"""The AvaTax connector (tax): sales tax and VAT per line and jurisdiction, recorded,
committed, voided, adjusted and refunded through AvaTax REST v2 (the ``avalara`` client).
See ``docs/connectors/avatax.md``."""

import time

from accord.canonical.roles import Role
from accord.connectors.avatax.client import AvaTaxClient
from accord.connectors.avatax.probe import probe
from accord.connectors.avatax.settings import AvaTaxSettings
from accord.connectors.avatax.tax import AvaTaxTax
from accord.connectors.base import AdapterOptions, ConnectorDefinition
from accord.resilience import LimitsProfile

LIMITS = LimitsProfile(
    max_concurrency=8,
    requests_per_second=None,
    page_size=1000,
    notes="AvaTax publishes no fixed request rate for CreateTransaction; it throttles an "
          "account that floods it with 429 answers. Eight concurrent calls keep a busy "
          "invoice run well clear of that. Listing calls return at most 1,000 records.",
)


def adapter(name: str, settings: AvaTaxSettings, options: AdapterOptions) -> AvaTaxTax:
    return AvaTaxTax(AvaTaxClient(settings, policy=options.policy,
                                  sleep=options.sleep or time.sleep, retries=options.retries),
                     system=name)


CONNECTOR = ConnectorDefinition(
    name="avatax",
    kind=Role.TAX,
    description="Avalara AvaTax REST v2: sales tax and VAT by jurisdiction (avalara)",
    limits=LIMITS,
    settings_model=AvaTaxSettings,
    probe=probe,
    sandbox="avatax",
    adapter=adapter,
)

__all__ = ["CONNECTOR", "LIMITS"]
