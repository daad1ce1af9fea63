"""``accord doctor`` for Stripe: is a key configured, and does Stripe accept it?"""

from __future__ import annotations

from typing import Any

from accord.connectors.base import ProbeFixes, ProbeResult, ProbeStatus, probe_failure
from accord.connectors.stripe.settings import StripeSettings
from accord.errors import AccordError
from accord.resilience.retry import RetryPolicy

FIXES = ProbeFixes(refused="check ACCORD_STRIPE_API_KEY",
                   unreachable="check ACCORD_STRIPE_BASE_URL and the network")


def probe(settings: Any) -> ProbeResult:
    if not isinstance(settings, StripeSettings):
        settings = StripeSettings()
    if not settings.enabled:
        return ProbeResult(ProbeStatus.OK, "disabled")
    if settings.api_key is None:
        return ProbeResult(ProbeStatus.WARNING, "no API key configured",
                           "set ACCORD_STRIPE_API_KEY (a test-mode sk_test_... key) or start "
                           "the sandbox: accord sandbox start stripe")
    from accord.connectors.stripe.client import Kind, StripeClient

    target = settings.base_url or "https://api.stripe.com"
    mode = "test mode" if settings.test_mode else "live mode"
    try:
        client = StripeClient(settings, policy=RetryPolicy(max_attempts=1))
        client.page(Kind.CUSTOMERS, None, 1)
    except AccordError as error:
        return probe_failure(target, error, FIXES)
    warning = "" if settings.webhook_secret else "; no webhook secret (events are polled)"
    status = ProbeStatus.OK if settings.webhook_secret else ProbeStatus.WARNING
    fix = "" if settings.webhook_secret else "set ACCORD_STRIPE_WEBHOOK_SECRET (whsec_...)"
    return ProbeResult(status, f"{target} answered ({mode}){warning}", fix)


__all__ = ["probe"]
