"""Systems wired to locally running sandboxes (the demo and the tests), from the credentials
each sandbox hands out (``accord sandbox credentials <name>``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from accord.connectors.netsuite.client import NetSuiteClient
from accord.connectors.netsuite.posting import NetSuitePoster
from accord.connectors.netsuite.refdata import load_refdata
from accord.connectors.netsuite.settings import NetSuiteSettings
from accord.connectors.salesforce.client import SalesforceClient
from accord.connectors.salesforce.settings import SalesforceSettings
from accord.connectors.stripe.client import StripeClient
from accord.connectors.stripe.settings import StripeSettings
from accord.flows.systems import FlowSettings, PaymentMethodFor, Systems
from accord.resilience import RetryPolicy
from accord.resilience.limits import RateLimiter
from accord.routing import Role, load_routing


def local_systems(*, stripe: Mapping[str, Any], salesforce: Mapping[str, Any],
                  netsuite: Mapping[str, Any], settings: FlowSettings | None = None,
                  payment_method_for: PaymentMethodFor | None = None,
                  sleep: Callable[[float], None] | None = None,
                  policy: RetryPolicy | None = None) -> Systems:
    """``stripe``/``netsuite`` hold the sandbox credentials plus ``base_url``. Every ERP
    instance the routing table names points at the one NetSuite sandbox (a OneWorld account
    with both subsidiaries)."""
    extra: dict[str, Any] = {}
    if sleep is not None:
        extra["sleep"] = sleep
    stripe_client = StripeClient(
        StripeSettings(api_key=SecretStr(str(stripe["api_key"])),
                       base_url=str(stripe["base_url"])),
        limiter=RateLimiter(None), policy=policy, **extra)
    sf_client = SalesforceClient(SalesforceSettings(
        instance_url=str(salesforce["instance_url"]),
        session_id=SecretStr(str(salesforce["session_id"])),
        ca_cert=Path(str(salesforce["ca_cert"])), api_version=str(salesforce["version"])),
        policy=policy, **extra)
    ns_settings = NetSuiteSettings(
        base_url=str(netsuite["base_url"]), account_id=str(netsuite["account_id"]),
        consumer_key=str(netsuite["consumer_key"]),
        consumer_secret=SecretStr(str(netsuite["consumer_secret"])),
        token_id=str(netsuite["token_id"]),
        token_secret=SecretStr(str(netsuite["token_secret"])))
    # as in production, the engine's step budget is the one retry layer for NetSuite
    poster = NetSuitePoster(NetSuiteClient(ns_settings, policy=policy, retry=False, **extra),
                            load_refdata())
    routing = load_routing()
    instances = {rule.targets[Role.ERP] for rule in routing.rules if Role.ERP in rule.targets}
    found = Systems(salesforce=sf_client, stripe=stripe_client,
                    netsuite=dict.fromkeys(instances, poster), routing=routing,
                    settings=settings or FlowSettings())
    if payment_method_for is not None:
        found.payment_method_for = payment_method_for
    return found


__all__ = ["local_systems"]
