"""The Stripe Billing connector: client, mapping, error table, webhook and events intake.

See ``docs/connectors/stripe.md``.
"""

from __future__ import annotations

import time

from accord.canonical.roles import Role
from accord.connectors.base import AdapterOptions, ConnectorDefinition, PollSpec, ReaderOptions
from accord.connectors.stripe.billing import StripeBilling
from accord.connectors.stripe.client import TEST_MODE_LIMITS, StripeClient
from accord.connectors.stripe.endpoints import register_endpoint, verify_setup
from accord.connectors.stripe.events import EVENTS, describe_event
from accord.connectors.stripe.intake import StripeEventsPoller, StripeWebhookVerifier
from accord.connectors.stripe.probe import probe
from accord.connectors.stripe.reconciliation import StripeReader
from accord.connectors.stripe.settings import StripeSettings


def webhook_verifier(settings: StripeSettings) -> StripeWebhookVerifier | None:
    """The endpoint's verifier, or None while ``webhook_secret`` is not configured."""
    if settings.webhook_secret is None:
        return None
    return StripeWebhookVerifier(settings.webhook_secret, settings.webhook_tolerance_seconds)


def adapter(name: str, settings: StripeSettings, options: AdapterOptions) -> StripeBilling:
    return StripeBilling(StripeClient(settings, policy=options.policy, retries=options.retries,
                                      sleep=options.sleep or time.sleep), system=name)


def reader(billing: StripeBilling, options: ReaderOptions) -> StripeReader:
    return StripeReader(billing.client, keys=options.keys, period=options.period)


CONNECTOR = ConnectorDefinition(
    name="stripe",
    kind=Role.BILLING,
    description="Stripe Billing: customers, catalog, subscriptions, invoices, payments, "
    "refunds and credit notes",
    limits=TEST_MODE_LIMITS,
    settings_model=StripeSettings,
    probe=probe,
    sandbox="stripe",
    webhook_verifier=webhook_verifier,
    register_webhook=register_endpoint,
    verify_setup=verify_setup,
    # webhooks carry the events; the poll of /v1/events catches up what a delivery missed
    polls=(PollSpec("events", 300, lambda billing: StripeEventsPoller(billing.client),
                    "events a webhook delivery missed"),),
    adapter=adapter,
    reconciliation_reader=reader,
    events=EVENTS,
    describe_event=describe_event,
    # customers on test clocks, so a month can be played through (as in test mode)
    sandbox_settings={"test_clocks": True},
    # the count of endpoints still to be sent the event changes from one delivery to the next
    redelivery_volatile=("pending_webhooks",),
)

__all__ = ["CONNECTOR", "StripeClient", "StripeEventsPoller", "StripeSettings",
           "StripeWebhookVerifier"]
