"""The HubSpot connector (CRM): companies, contacts, deals and line items, products. See
``docs/connectors/hubspot.md``."""

import time

from accord.canonical.roles import Role
from accord.connectors.base import AdapterOptions, ConnectorDefinition, ReaderOptions
from accord.connectors.hubspot.client import HubSpotClient
from accord.connectors.hubspot.crm import HubSpotCrm
from accord.connectors.hubspot.events import EVENTS, describe_event
from accord.connectors.hubspot.intake import HubSpotWebhookVerifier
from accord.connectors.hubspot.probe import probe
from accord.connectors.hubspot.reconciliation import HubSpotReader
from accord.connectors.hubspot.settings import HubSpotSettings
from accord.connectors.hubspot.setup import verify_setup
from accord.connectors.hubspot.streams import POLLS
from accord.resilience import LimitsProfile

LIMITS = LimitsProfile(
    max_concurrency=10,
    requests_per_second=15.2,
    daily_requests=625_000,
    page_size=100,
    notes="Private apps: 190 requests per rolling 10 seconds and 625,000 a day on "
          "Professional and Enterprise accounts (100 and 250,000 on Free and Starter), "
          "shared by every app of the account; 15.2/s is 80 % of the ten-second window. "
          "The search API answers 5 requests a second, 200 records a page and pages no "
          "further than 10,000 results; batch endpoints take 100 inputs.",
)


def adapter(name: str, settings: HubSpotSettings, options: AdapterOptions) -> HubSpotCrm:
    return HubSpotCrm(HubSpotClient(settings, policy=options.policy,
                                    sleep=options.sleep or time.sleep,
                                    retries=options.retries), system=name)


def reader(crm: HubSpotCrm, options: ReaderOptions) -> HubSpotReader:
    return HubSpotReader(crm.client, keys=options.keys, system=crm.system)


def webhook_verifier(settings: HubSpotSettings) -> HubSpotWebhookVerifier | None:
    if settings.webhook_secret is None or not settings.webhook_secret.get_secret_value():
        return None
    return HubSpotWebhookVerifier(settings.webhook_secret, uri=settings.webhook_url)


CONNECTOR = ConnectorDefinition(
    name="hubspot",
    kind=Role.CRM,
    description="HubSpot CRM over the CRM v3 and v4 APIs (hubspot-api-client)",
    limits=LIMITS,
    settings_model=HubSpotSettings,
    probe=probe,
    sandbox="hubspot",
    webhook_verifier=webhook_verifier,
    polls=POLLS,
    verify_setup=verify_setup,
    adapter=adapter,
    reconciliation_reader=reader,
    events=EVENTS,
    describe_event=describe_event,
    # a second CRM is opt-in: `accord init --sandboxes` writes its table switched off, so a
    # deployment on the sandboxes keeps one CRM until routing sends deals to this one
    sandbox_settings={"enabled": False},
)

__all__ = ["CONNECTOR", "LIMITS"]
