"""A local emulator of HubSpot's CRM API that the official ``hubspot-api-client`` accepts,
pointed at it through the client's public ``host`` option.

CRM v3 objects (companies, contacts, deals, line items, products) with typed properties,
batch and search APIs; v4 associations; deal pipelines; HubSpot's error body; private-app
token auth; the ten-second and daily limits; signed, batched, retried webhooks. See
``docs/sandboxes/hubspot.md``. Credentials: the base URL, the access token and the app
secret that signs webhooks.
"""

from accord.sandboxes.base import SandboxDefinition
from accord.sandboxes.hubspot.app import (
    DEFAULT_ACCESS_TOKEN,
    DEFAULT_APP_SECRET,
    create_app,
    credentials,
)

SANDBOX = SandboxDefinition(
    name="hubspot",
    description="HubSpot CRM API (v3 objects, batch, search, v4 associations, pipelines, "
    "limits, signed webhooks)",
    default_port=12114,
    create_app=create_app,
    credentials=credentials,
    tls=False,
)

__all__ = ["DEFAULT_ACCESS_TOKEN", "DEFAULT_APP_SECRET", "SANDBOX"]
