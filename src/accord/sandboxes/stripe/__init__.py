"""A local emulator of Stripe's REST API that the official ``stripe`` client accepts.

See ``docs/sandboxes/stripe.md``. Credentials: the base URL, any ``sk_test_...`` key (unless
one is configured with the ``api_key`` setting).
"""

from __future__ import annotations

from accord.sandboxes.base import SandboxDefinition, SandboxEndpoint
from accord.sandboxes.stripe.app import create_app

DEFAULT_API_KEY = "sk_test_accord_sandbox_0000000000000000"


def credentials(endpoint: SandboxEndpoint) -> dict[str, str]:
    return {"base_url": endpoint.base_url, "api_key": DEFAULT_API_KEY}


SANDBOX = SandboxDefinition(
    name="stripe",
    description="Stripe Billing and Payments API (customers, catalog, subscriptions, invoices, "
    "payments, refunds, credit notes, events, webhooks, test clocks)",
    default_port=12111,
    create_app=create_app,
    credentials=credentials,
    tls=False,
)

__all__ = ["SANDBOX", "create_app", "credentials"]
