"""The FakeBill connector: accord's billing role over FakeBill's API. Everything accord
needs to know about FakeBill is declared here; accord finds it through
``[connectors] packages = ["tests.fakebill.connector"]`` in accord.toml."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from accord.canonical.roles import Role
from accord.connectors.base import (
    AdapterOptions,
    ConnectorDefinition,
    PollSpec,
    ProbeResult,
    ProbeStatus,
    ReaderOptions,
)
from accord.errors import AccordError
from accord.resilience import LimitsProfile
from tests.fakebill.connector.billing import FakeBillBilling
from tests.fakebill.connector.client import FakeBillClient
from tests.fakebill.connector.events import EVENTS, describe_event
from tests.fakebill.connector.intake import FakeBillEventsPoller, FakeBillWebhookVerifier
from tests.fakebill.connector.reconciliation import FakeBillReader
from tests.fakebill.connector.settings import FakeBillSettings


def adapter(name: str, settings: FakeBillSettings, options: AdapterOptions) -> FakeBillBilling:
    return FakeBillBilling(FakeBillClient(settings, system=name, policy=options.policy,
                                          retries=options.retries,
                                          sleep=options.sleep or time.sleep), system=name)


def webhook_verifier(settings: FakeBillSettings) -> FakeBillWebhookVerifier | None:
    """The endpoint's verifier, or None while ``webhook_secret`` is not configured."""
    if settings.webhook_secret is None:
        return None
    return FakeBillWebhookVerifier(settings.webhook_secret, settings.webhook_tolerance_seconds)


def register_webhook(settings: FakeBillSettings, url: str, _event_types: Sequence[str]
                     ) -> str:
    """Subscribe ``url`` to FakeBill's events (``accord init``); its signing secret."""
    client = FakeBillClient(settings)
    try:
        endpoint = client.create("webhook-endpoints", {"url": url}, key=f"accord:hook:{url}")
    finally:
        client.close()
    return str(endpoint["secret"])


def reader(billing: FakeBillBilling, options: ReaderOptions) -> FakeBillReader:
    return FakeBillReader(billing.client, keys=options.keys, period=options.period)


def probe(settings: Any) -> ProbeResult:
    if not isinstance(settings, FakeBillSettings) or not settings.configured:
        return ProbeResult(ProbeStatus.WARNING, "not configured",
                           "set base_url and api_key in [systems.fakebill]")
    client = FakeBillClient(settings)
    try:
        client.list("customers", limit=1)
    except AccordError as error:
        return ProbeResult(ProbeStatus.FAILED, f"{settings.base_url}: {error.message}",
                           "check base_url and api_key")
    finally:
        client.close()
    return ProbeResult(ProbeStatus.OK, f"{settings.base_url} answered")


CONNECTOR = ConnectorDefinition(
    name="fakebill",
    kind=Role.BILLING,
    description="FakeBill: customers, plans, subscriptions and invoices (a test vendor)",
    limits=LimitsProfile(max_concurrency=4, requests_per_second=20),
    settings_model=FakeBillSettings,
    probe=probe,
    webhook_verifier=webhook_verifier,
    register_webhook=register_webhook,
    # webhooks carry the events; the feed's poll catches up what a delivery missed
    polls=(PollSpec("events", 300, lambda billing: FakeBillEventsPoller(billing.client),
                    "events a webhook delivery missed"),),
    adapter=adapter,
    reconciliation_reader=reader,
    events=EVENTS,
    describe_event=describe_event,
)

__all__ = ["CONNECTOR"]
