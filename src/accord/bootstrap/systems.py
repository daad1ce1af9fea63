"""The flows' systems built from settings: a client for every configured, enabled system.

A system without credentials is left out; a flow that needs it stops on an exception that
says what to set (:class:`~accord.flows.systems.SystemNotConfigured`). ERP instances that
point at the same account (the one NetSuite sandbox serving both subsidiaries) share one
client, so they share its concurrency gate.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from accord.connectors.netsuite.client import NetSuiteClient
from accord.connectors.netsuite.posting import NetSuitePoster
from accord.connectors.netsuite.refdata import load_refdata
from accord.connectors.netsuite.settings import NetSuiteSettings
from accord.connectors.salesforce.client import SalesforceClient
from accord.connectors.salesforce.settings import SalesforceSettings
from accord.connectors.stripe.client import StripeClient
from accord.connectors.stripe.settings import StripeSettings
from accord.flows.systems import FlowSettings, Systems
from accord.resilience import RetryPolicy
from accord.routing import Role, RoutingTable
from accord.settings import SystemSettings


@dataclass(frozen=True)
class ClientOptions:
    """What tests tune on every client: the retry policy inside a call and its sleep."""

    policy: RetryPolicy | None = None
    sleep: Callable[[float], None] | None = None
    client_retries: bool = False
    """Whether the clients retry on their own; off for the flows, whose engine steps
    retry under their budget."""


def _active(settings: SystemSettings | None) -> bool:
    return settings is not None and settings.enabled and settings.configured


def erp_instances(routing: RoutingTable) -> list[str]:
    return sorted({rule.targets[Role.ERP] for rule in routing.rules if Role.ERP in rule.targets})


def build_systems(configured: Mapping[str, SystemSettings], routing: RoutingTable, *,
                  flow_settings: FlowSettings | None = None,
                  client_options: ClientOptions | None = None) -> Systems:
    options = client_options or ClientOptions()
    sleep = options.sleep or time.sleep
    crm = configured.get("salesforce")
    billing = configured.get("stripe")
    # the engine's step budget is the one retry layer for the flows' calls: a client that
    # retried too would give up on a long outage or a busy rate limit after a few attempts
    # (a permanent "gave up"), long before the step's 15 minutes of waiting
    salesforce = (SalesforceClient(crm, policy=options.policy, sleep=sleep,
                                   retries=options.client_retries)
                  if isinstance(crm, SalesforceSettings) and _active(crm) else None)
    stripe = (StripeClient(billing, policy=options.policy, sleep=sleep,
                           retries=options.client_retries)
              if isinstance(billing, StripeSettings) and _active(billing) else None)
    posters: dict[str, NetSuitePoster] = {}
    shared: dict[tuple[str, str, str], NetSuitePoster] = {}
    for instance in erp_instances(routing):
        settings = configured.get(instance)
        if not isinstance(settings, NetSuiteSettings) or not _active(settings):
            continue
        account = (settings.rest_root, settings.account_id, settings.token_id)
        if account not in shared:
            shared[account] = NetSuitePoster(
                NetSuiteClient(settings, policy=options.policy, retry=options.client_retries,
                               sleep=sleep),
                load_refdata(settings.refdata_path))
        posters[instance] = shared[account]
    chosen = flow_settings or FlowSettings(
        use_test_clocks=isinstance(billing, StripeSettings) and billing.test_clocks)
    return Systems(crm=salesforce, billing=stripe, netsuite=posters, routing=routing,
                   settings=chosen)


__all__ = ["ClientOptions", "build_systems", "erp_instances"]
